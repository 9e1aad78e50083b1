import { Worker, type ConnectionOptions } from 'bullmq';
import { runRetention } from '../src/pipeline/retention.ts';
import { subjectRequestDeps, type AppContext } from '../src/app.ts';
import {
  PRIVACY_QUEUE,
  PrivacyJob,
  RETENTION_SCHEDULER,
  privacyQueueFor,
} from '../src/pipeline/privacy-jobs.ts';
import { erasureRequest } from '../src/privacy/subject-requests.ts';

/**
 * The privacy queue's worker: erasures the CRM asked for (the same erasure as `draftbridge privacy
 * erase`, audited with the CRM as the actor) and the retention sweeper's scheduled runs.
 */
export async function startPrivacyWorker(ctx: AppContext, connection: ConnectionOptions): Promise<Worker> {
  const dsr = subjectRequestDeps(ctx);
  const log = ctx.logger.child({ stage: PRIVACY_QUEUE });
  const every = ctx.policy.privacy.retentionSweepEvery;
  const queue = privacyQueueFor(ctx);
  // One scheduler for the deployment, whichever worker process upserts it last.
  if (every > 0)
    await queue.upsertJobScheduler(
      RETENTION_SCHEDULER,
      { every },
      { name: 'retention', data: { kind: 'retention', dryRun: false } },
    );
  else await queue.removeJobScheduler(RETENTION_SCHEDULER);
  const worker = new Worker(
    PRIVACY_QUEUE,
    async (job) => {
      const data = PrivacyJob.parse(job.data);
      if (data.kind === 'erasure') {
        const result = await erasureRequest(dsr, `${data.objectType}:${data.recordId}`, data.trigger);
        log.info(
          { jobId: job.id, trigger: data.trigger, requests: result.requestsErased },
          'erasure requested by the CRM carried out',
        );
        return { requestsErased: result.requestsErased };
      }
      const report = await runRetention(ctx, { dryRun: data.dryRun, actor: 'scheduler' });
      log.info(
        { dryRun: report.dryRun, auditEvents: report.auditEvents, jobs: report.jobs },
        'retention sweep done',
      );
      return report;
    },
    { connection, prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX, concurrency: 1 },
  );
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'privacy worker error'));
  return worker;
}
