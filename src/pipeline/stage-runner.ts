import { UnrecoverableError, Worker, type Job, type Queue, type WorkerOptions } from 'bullmq';
import { describeError, errorMessage, UpstreamRateLimited } from '../errors.ts';
import { stageDuration } from '../metrics.ts';
import { inSpan, traceCarrier } from '../telemetry.ts';
import type { PipelineDeps } from './deps.ts';
import type { StageJob } from './jobs.ts';
import type { JobPayloads, QueueName, StageQueues } from './queues.ts';
import { TERMINAL_STATES } from './request-state.ts';

/**
 * Runs one stage as a BullMQ worker: times it, turns a provider's 429 into a pause of the whole
 * queue (BullMQ rate limiting, the job is not charged an attempt), makes permanent refusals
 * unrecoverable, chains the next stage by request id, and dead-letters after the last attempt.
 */
export type StageOutcome = 'next' | 'done' | 'crm-note';

type ChainedStage = 'draft' | 'deliver' | 'crm-sync';
const NEXT: Partial<Record<QueueName, ChainedStage>> = {
  intake: 'draft',
  draft: 'deliver',
  deliver: 'crm-sync',
};

export interface StageDefinition<K extends QueueName, D = PipelineDeps> {
  queue: K;
  concurrency: number;
  limiter?: { max: number; duration: number };
  run(deps: D, job: Job<JobPayloads[K]>, lastAttempt: boolean): Promise<StageOutcome>;
}

/** What the runner itself uses: chaining, dead-lettering, logging. */
export type StageRunnerDeps = Pick<PipelineDeps, 'logger' | 'queues' | 'requests' | 'audit'>;

export interface WorkerTiming {
  /** How long a job's lock lasts; a crashed worker's job is picked up again after it expires. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long a stop waits for a worker to close (its active jobs, then its connections); see `closeWorker`. */
  closeGraceMs?: number;
}

/** Under the 30 s a container runtime waits between SIGTERM and SIGKILL (compose's stop_grace_period). */
export const DEFAULT_CLOSE_GRACE_MS = 25_000;

/**
 * Closes a worker, waiting at most `graceMs`. BullMQ's close ends the blocking connection and waits
 * for it to report its end, then for the active jobs; after a Redis Cluster master restart that wait
 * was seen never to end (the cluster suite's privacy worker, about half of the full runs; an ioredis
 * Cluster client whose node pool is already empty never reports its end, the likely cause). Past
 * the grace period the stop goes on and says so: a job still running is then interrupted with the
 * process, and BullMQ's stalled-job check hands it to another worker, as after a crash. Returns
 * whether the worker closed in time.
 */
export async function closeWorker(
  worker: Worker,
  graceMs: number,
  logger: Pick<PipelineDeps['logger'], 'warn'>,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const closed = await Promise.race([
    worker.close().then(
      () => true,
      (err: Error) => {
        logger.warn({ queue: worker.name, err: { message: err.message } }, 'worker close failed');
        return true;
      },
    ),
    late,
  ]);
  clearTimeout(timer);
  if (!closed)
    logger.warn(
      { queue: worker.name, graceMs },
      'worker did not close within its grace period; stopping without it (its active jobs are picked up again as stalled)',
    );
  return closed;
}

/** Where the workers find their queues: their own blocking connection and the deployment's queue prefix. */
export interface WorkerConnection {
  connection: WorkerOptions['connection'];
  prefix: string;
}

export function startStageWorker<K extends QueueName, D extends StageRunnerDeps>(
  deps: D,
  redis: WorkerConnection,
  stage: StageDefinition<K, D>,
  timing: WorkerTiming = {},
): Worker<JobPayloads[K]> {
  const log = deps.logger.child({ stage: stage.queue });
  // The job's span continues the webhook's trace (job.data.trace); connector calls become its children.
  async function runJob(job: Job<JobPayloads[K]>, requestId: string | undefined): Promise<StageOutcome> {
    const end = stageDuration.startTimer({ stage: stage.queue });
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      const outcome = await stage.run(deps, job, lastAttempt);
      const next: ChainedStage | undefined =
        outcome === 'crm-note' ? 'crm-sync' : outcome === 'next' ? NEXT[stage.queue] : undefined;
      // Job id = request id: re-adding after a crash is a no-op, so chaining is idempotent.
      if (next && requestId) await chain(deps.queues, next, requestId);
      end({ outcome });
      return outcome;
    } catch (err) {
      if (err instanceof UpstreamRateLimited) {
        end({ outcome: 'rate_limited' });
        log.warn(
          { requestId, provider: err.provider, retryAfterMs: err.retryAfterMs },
          'provider throttled; pausing the queue',
        );
        await worker.rateLimit(Math.max(err.retryAfterMs, 100));
        throw Worker.RateLimitError();
      }
      end({ outcome: 'error' });
      // Retry or dead letter: decided from the error's code and retryable flag alone.
      const failure = describeError(err);
      const permanent = !failure.retryable;
      log.warn(
        {
          requestId,
          attempt: job.attemptsMade + 1,
          permanent,
          err: { code: failure.code, name: failure.name, message: failure.message },
        },
        'stage failed',
      );
      if (permanent || lastAttempt) {
        if (requestId) await deadLetter(deps, stage.queue, requestId, failure.name);
        throw permanent ? new UnrecoverableError(failure.message) : err;
      }
      throw err;
    }
  }

  const worker: Worker<JobPayloads[K]> = new Worker<JobPayloads[K]>(
    stage.queue,
    async (job) => {
      // mail-events jobs carry a Graph subscription, not a request.
      const requestId = 'requestId' in job.data ? job.data.requestId : undefined;
      const attributes = {
        'messaging.system': 'bullmq',
        'messaging.destination.name': stage.queue,
        'draftbridge.attempt': job.attemptsMade + 1,
        ...(requestId ? { 'draftbridge.request_id': requestId } : {}),
      };
      return inSpan(`stage ${stage.queue}`, 'consumer', job.data.trace, attributes, () =>
        runJob(job, requestId),
      );
    },
    {
      connection: redis.connection,
      prefix: redis.prefix,
      concurrency: stage.concurrency,
      ...(stage.limiter ? { limiter: stage.limiter } : {}),
      // A crashed worker's job is picked up again after the lock expires (stalled-job check).
      lockDuration: timing.lockDurationMs ?? 60_000,
      stalledInterval: timing.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    },
  );
  worker.on('error', (err) => log.error({ err: { message: err.message } }, 'worker error'));
  // A job that stalled more often than allowed (its workers kept dying) is failed by BullMQ when next
  // picked up, without running the stage: a dead letter all the same, so the request ends as one.
  worker.on('failed', (job) => {
    if (!job?.deferredFailure || !('requestId' in job.data)) return;
    log.warn({ requestId: job.data.requestId, stalled: job.stalledCounter }, 'job stalled too often');
    void deadLetter(deps, stage.queue, job.data.requestId, 'StalledTooOften');
  });
  return worker;
}

/**
 * Nothing of this job can have happened before: its first run, not a retry, not picked up again
 * after a crash (stalled) nor re-run after a queue pause (BullMQ counts every start). Stages use it to
 * skip look-ups that could only find what an earlier run of the job left behind.
 */
export function isFirstAttempt(
  job: Pick<Job, 'attemptsMade' | 'attemptsStarted' | 'stalledCounter'>,
): boolean {
  return job.attemptsMade === 0 && job.attemptsStarted <= 1 && job.stalledCounter === 0;
}

function chain(queues: StageQueues, next: ChainedStage, requestId: string) {
  const queue: Queue<StageJob> = queues[next];
  return queue.add(next, { requestId, ...traceCarrier() }, { jobId: requestId });
}

/** The last attempt failed: the request ends as failed, audited and counted, and the rep is told. */
async function deadLetter(
  deps: StageRunnerDeps,
  queue: QueueName,
  requestId: string,
  errorName: string,
): Promise<void> {
  const { requests } = deps;
  // One error-level line per dead letter: a request ended without its draft and needs a person.
  deps.logger.error(
    { requestId, stage: queue, error: errorName },
    `dead letter in ${queue}: the request failed for good (${errorName}); fix the cause, then retry it on /ops`,
  );
  try {
    const record = await requests.get(requestId);
    if (record && !TERMINAL_STATES.has(record.state)) {
      await requests.transition(requestId, 'failed', {
        actor: queue,
        details: { reason: 'dead_letter', stage: queue, error: errorName },
        facts: { reason: 'dead_letter' },
        seen: record,
      });
      await deps.queues['crm-sync'].add('crm-sync', { requestId, ...traceCarrier() }, { jobId: requestId });
    } else {
      await deps.audit.append({
        type: 'request.dead_letter',
        requestId,
        subject: record?.subject ?? null,
        actor: queue,
        outcome: 'failed',
        details: { stage: queue, error: errorName },
      });
    }
  } catch (err) {
    deps.logger.error({ requestId, err: { message: errorMessage(err) } }, 'dead-letter handling failed');
  }
}
