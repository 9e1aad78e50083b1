import type { Worker } from 'bullmq';
import { vaultFor, type AppContext } from '../src/app.ts';
import { LlmCircuit } from '../src/pipeline/llm-circuit.ts';
import { PromptLibrary } from '../src/pipeline/prompts.ts';
import { RequestStore } from '../src/pipeline/request-state.ts';
import {
  closeWorker,
  DEFAULT_CLOSE_GRACE_MS,
  startStageWorker,
  type WorkerTiming,
} from '../src/pipeline/stage-runner.ts';
import type { PipelineDeps } from '../src/pipeline/deps.ts';
import type { Ports } from '../src/ports.ts';
import { SuppressionList } from '../src/privacy/suppression.ts';
import { createRedis } from '../src/redis.ts';
import { crmSyncStage } from '../src/pipeline/stages/crm-sync.ts';
import { deliverStage } from '../src/pipeline/stages/deliver.ts';
import { draftStage } from '../src/pipeline/stages/draft.ts';
import { intakeStage } from '../src/pipeline/stages/intake.ts';
import {
  EWS_POLL,
  mailEventsStage,
  RENEW_GMAIL_WATCH,
  RENEW_SUBSCRIPTIONS,
} from '../src/pipeline/stages/mail-events.ts';
import { MailWatch } from '../src/pipeline/mail-watch.ts';
import { closePrivacyQueue } from '../src/pipeline/privacy-jobs.ts';
import { startPrivacyWorker } from './privacy.ts';

export interface RunningWorkers {
  deps: PipelineDeps;
  workers: Worker[];
  close(): Promise<void>;
}

/** Builds the pipeline's dependencies and one BullMQ worker per stage. */
export function createPipelineDeps(ctx: AppContext, ports: Ports, store = ctx.redis): PipelineDeps {
  const { settings, policy } = ctx;
  const prefix = settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const vault = vaultFor(ctx, store);
  const requests = new RequestStore(store, {
    prefix,
    ttlMs: policy.retention.request ?? 30 * 86_400_000,
    audit: ctx.audit,
    vault,
  });
  const graphWatch =
    ports.graph && settings.GRAPH_NOTIFICATION_URL && settings.GRAPH_CLIENT_STATE
      ? new MailWatch(store, ports.graph, {
          prefix,
          notificationUrl: settings.GRAPH_NOTIFICATION_URL,
          clientState: settings.GRAPH_CLIENT_STATE,
          linkTtlMs: policy.retention.request ?? 30 * 86_400_000,
        })
      : undefined;
  const gmailWatch = ports.gmailWatch?.(store, ctx.keys.audit);
  const ewsWatch = ports.ewsWatch?.(store);
  return {
    policy,
    logger: ctx.logger,
    audit: ctx.audit,
    queues: ctx.queues,
    crmFields: ctx.crm,
    ...ports,
    vault,
    requests,
    suppression: new SuppressionList(store, { prefix }),
    prompts: new PromptLibrary(new URL('../config/prompts', import.meta.url).pathname),
    circuit: new LlmCircuit(store, { prefix }),
    watch: graphWatch,
    graph: ports.graph,
    approvals: gmailWatch ?? ewsWatch ?? graphWatch,
    history: gmailWatch,
    polled: ewsWatch,
    mailApp: settings.DRAFTBRIDGE_MAIL === 'gmail' ? 'Gmail' : 'Outlook',
  };
}

/** Per-stage concurrency instead of the stage's own (the bench holds 1,000 LLM calls in flight with it). */
export type ConcurrencyOverride = Partial<Record<'intake' | 'draft' | 'deliver' | 'crm-sync', number>>;

function withConcurrency<S extends { queue: string; concurrency: number }>(
  stage: S,
  override: ConcurrencyOverride,
): S {
  const c = override[stage.queue as keyof ConcurrencyOverride];
  return c ? { ...stage, concurrency: c } : stage;
}

/** Jobs each pipeline stage runs at once (intake, draft, deliver, crm-sync): the bench's comparators run the same. */
export function stageConcurrency(
  policy: AppContext['policy'],
  crm: Pick<Ports['crm'], 'batchesCalls'>,
): number[] {
  return [intakeStage(policy, crm), draftStage(policy), deliverStage(policy), crmSyncStage(policy, crm)].map(
    (stage) => stage.concurrency,
  );
}

export async function startWorkers(
  ctx: AppContext,
  ports: Ports,
  timing: WorkerTiming = {},
  concurrency: ConcurrencyOverride = {},
): Promise<RunningWorkers> {
  const store = createRedis(ctx.settings.REDIS_URL, 'store', 'draftbridge-store');
  store.on('error', (err) =>
    ctx.logger.warn({ err: { message: err.message } }, 'redis store connection error'),
  );
  const deps = createPipelineDeps(ctx, ports, store);
  // Workers block on Redis: their own connection, retrying forever (maxRetriesPerRequest null).
  const connection = createRedis(ctx.settings.REDIS_URL, 'worker', 'draftbridge-worker');
  const redis = { connection, prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX };
  const workers: Worker[] = [
    startStageWorker(deps, redis, withConcurrency(intakeStage(ctx.policy, ports.crm), concurrency), timing),
    startStageWorker(deps, redis, withConcurrency(draftStage(ctx.policy), concurrency), timing),
    startStageWorker(
      deps,
      redis,
      withConcurrency(deliverStage(ctx.policy, timing.lockDurationMs), concurrency),
      timing,
    ),
    startStageWorker(deps, redis, withConcurrency(crmSyncStage(ctx.policy, ports.crm), concurrency), timing),
    startStageWorker(deps, redis, mailEventsStage(), timing),
  ];
  workers.push(await startPrivacyWorker(ctx, connection));
  if (deps.watch) {
    // Graph message subscriptions live about three days: renew hourly what expires within a day.
    await ctx.queues['mail-events'].upsertJobScheduler(
      RENEW_SUBSCRIPTIONS,
      { every: 3_600_000 },
      { name: RENEW_SUBSCRIPTIONS, data: { subscriptionId: 'all', receivedAt: 0 } },
    );
  }
  if (deps.history) {
    // Gmail drops a watch after 7 days; Google advises calling watch once a day.
    await ctx.queues['mail-events'].upsertJobScheduler(
      RENEW_GMAIL_WATCH,
      { every: 86_400_000 },
      { name: RENEW_GMAIL_WATCH, data: { subscriptionId: 'all', receivedAt: 0 } },
    );
  }
  if (deps.polled) {
    // Exchange pull subscriptions: read on a schedule (a poll skips mailboxes another process is reading).
    await ctx.queues['mail-events'].upsertJobScheduler(
      EWS_POLL,
      { every: ctx.settings.EWS_POLL_INTERVAL_MS },
      { name: EWS_POLL, data: { subscriptionId: 'all', receivedAt: 0 } },
    );
  }
  return {
    deps,
    workers,
    async close() {
      // Waits for active jobs to finish, within the grace period; anything unfinished is picked up again as stalled.
      await Promise.all(
        workers.map((w) => closeWorker(w, timing.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS, ctx.logger)),
      );
      await closePrivacyQueue(ctx);
      connection.disconnect();
      store.disconnect();
    },
  };
}
