import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import type { RedisClient as Redis } from '../redis.ts';
import type { Logger } from '../logger.ts';
import type { Settings } from '../settings.ts';
import { ErasureJob, type ErasureRequest } from './jobs.ts';
import type { Policy } from '../policy.ts';

/**
 * The `privacy` queue: data-subject duties the service carries out by itself. Erasures the CRM asks
 * for (HubSpot `contact.privacyDeletion`, and `contact.deletion` when the policy says so) and the
 * retention sweeper's scheduled runs. Payloads carry ids only, like every job.
 */
export const PRIVACY_QUEUE = 'privacy';
export const RETENTION_SCHEDULER = 'retention-sweep';

export const RetentionJob = z.object({ kind: z.literal('retention'), dryRun: z.boolean().default(false) });
export type RetentionJob = z.infer<typeof RetentionJob>;

export const PrivacyJob = z.discriminatedUnion('kind', [ErasureJob, RetentionJob]);
export type PrivacyJob = z.infer<typeof PrivacyJob>;

export function createPrivacyQueue(
  connection: ConnectionOptions,
  prefix: string,
  policy: Policy,
): Queue<PrivacyJob> {
  return new Queue<PrivacyJob>(PRIVACY_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: Math.max(10, policy.defaults.jobs.attempts),
      backoff: { type: 'exponential', delay: policy.defaults.jobs.backoffMs, jitter: 0.5 },
      // An erasure job names the record it erases: it must not outlive its work. Failed ones stay
      // for the operator (ids only) as long as failed jobs do.
      removeOnComplete: true,
      removeOnFail: { age: Math.ceil((policy.retention.jobsFailed ?? 14 * 86_400_000) / 1000) },
    },
  });
}

/** The part of the process context the privacy queue needs. */
export interface PrivacyQueueContext {
  redis: Redis;
  settings: Pick<Settings, 'DRAFTBRIDGE_QUEUE_PREFIX'>;
  policy: Policy;
  logger: Logger;
}

const queues = new WeakMap<PrivacyQueueContext, Queue<PrivacyJob>>();

/** One privacy queue per process context (closed with `closePrivacyQueue`). */
export function privacyQueueFor(ctx: PrivacyQueueContext): Queue<PrivacyJob> {
  let q = queues.get(ctx);
  if (!q) {
    q = createPrivacyQueue(ctx.redis, ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX, ctx.policy);
    q.on('error', (err) =>
      ctx.logger.warn({ queue: PRIVACY_QUEUE, err: { message: err.message } }, 'queue error'),
    );
    queues.set(ctx, q);
  }
  return q;
}

export async function closePrivacyQueue(ctx: PrivacyQueueContext): Promise<void> {
  const q = queues.get(ctx);
  queues.delete(ctx);
  await q?.close();
}

export async function enqueueErasures(ctx: PrivacyQueueContext, erasures: ErasureRequest[]): Promise<number> {
  if (erasures.length === 0) return 0;
  await privacyQueueFor(ctx).addBulk(
    erasures.map((e) => ({ name: 'erasure', data: e.job, opts: { jobId: e.jobId } })),
  );
  return erasures.length;
}
