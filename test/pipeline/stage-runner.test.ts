import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/trail.ts';
import { RequestNotFound, UpstreamUnavailable } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { closeQueues, createQueues, type StageQueues } from '../../src/pipeline/queues.ts';
import { RequestStore } from '../../src/pipeline/request-state.ts';
import {
  closeWorker,
  isFirstAttempt,
  startStageWorker,
  type StageDefinition,
  type StageOutcome,
  type StageRunnerDeps,
} from '../../src/pipeline/stage-runner.ts';
import { createRedis, type RedisClient } from '../../src/redis.ts';
import { defaultPolicy, deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../support/env.ts';

/** The stage runner with real BullMQ on the real Redis, and a stage whose behaviour the test scripts. */
describe('stage runner (chaining, retry vs. dead letter from the error code)', () => {
  const prefix = uniquePrefix('runner');
  const base = defaultPolicy();
  const policy = { ...base, defaults: { ...base.defaults, jobs: { attempts: 3, backoffMs: 10 } } };
  let redis: RedisClient;
  let connection: RedisClient;
  let queues: StageQueues;
  let deps: StageRunnerDeps;
  let worker: Worker | undefined;
  beforeAll(async () => {
    redis = await testRedis();
    connection = createRedis(REDIS_URL, 'worker', 'test-runner');
    queues = createQueues(redis, prefix, policy);
    const audit = new AuditTrail(redis, { prefix, key: randomBytes(32) });
    deps = {
      logger: createLogger({ level: 'silent' }),
      queues,
      audit,
      requests: new RequestStore(redis, { prefix, ttlMs: 60_000, audit }),
    };
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });
  afterAll(async () => {
    await closeQueues(queues);
    connection.disconnect();
    await deletePrefix(prefix);
    redis.disconnect();
  });

  const open = (requestId: string) =>
    deps.requests.open({
      requestId,
      flow: 'callback',
      source: 'hubspot.app',
      account: '1',
      objectType: 'contact',
      contactId: '1001',
      subject: 'c'.repeat(32),
    });
  const draftStage = (
    run: (attempt: number) => Promise<StageOutcome>,
  ): StageDefinition<'draft', StageRunnerDeps> => ({
    queue: 'draft',
    concurrency: 1,
    run: (_deps, job) => run(job.attemptsMade + 1),
  });
  const settled = async (requestId: string) => {
    for (let i = 0; i < 200; i++) {
      const state = await queues.draft.getJobState(requestId);
      if (state === 'completed' || state === 'failed') return state;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('job did not settle');
  };

  it('chains the next stage by request id', async () => {
    await open('req-runner-next');
    worker = startStageWorker(
      deps,
      { connection, prefix },
      draftStage(async () => 'next'),
    );
    await queues.draft.add('draft', { requestId: 'req-runner-next' }, { jobId: 'req-runner-next' });
    expect(await settled('req-runner-next')).toBe('completed');
    expect(await queues.deliver.getJobState('req-runner-next')).toBe('waiting');
  });

  it('retries a retryable error, then dead-letters on the last attempt', async () => {
    await open('req-runner-retry');
    await deps.requests.transition('req-runner-retry', 'fetched', { actor: 'test' });
    const attempts: number[] = [];
    worker = startStageWorker(
      deps,
      { connection, prefix },
      draftStage(async (attempt) => {
        attempts.push(attempt);
        throw new UpstreamUnavailable('llm', 'down', 503);
      }),
    );
    await queues.draft.add('draft', { requestId: 'req-runner-retry' }, { jobId: 'req-runner-retry' });
    expect(await settled('req-runner-retry')).toBe('failed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await deps.requests.get('req-runner-retry')).toMatchObject({
      state: 'failed',
      reason: 'dead_letter',
    });
    expect(await queues['crm-sync'].getJobState('req-runner-retry')).toBe('waiting');
  });

  it('dead-letters a permanent error at once, without further attempts', async () => {
    await open('req-runner-permanent');
    const attempts: number[] = [];
    worker = startStageWorker(
      deps,
      { connection, prefix },
      draftStage(async (attempt) => {
        attempts.push(attempt);
        throw new RequestNotFound('req-runner-permanent');
      }),
    );
    await queues.draft.add('draft', { requestId: 'req-runner-permanent' }, { jobId: 'req-runner-permanent' });
    expect(await settled('req-runner-permanent')).toBe('failed');
    expect(attempts).toEqual([1]);
    expect(await deps.requests.get('req-runner-permanent')).toMatchObject({
      state: 'failed',
      reason: 'dead_letter',
    });
  });

  it('tells a job its first attempt from a retry (the deliver stage skips its look-up only on the first)', async () => {
    await open('req-runner-first');
    const seen: boolean[] = [];
    worker = startStageWorker(
      deps,
      { connection, prefix },
      {
        queue: 'draft',
        concurrency: 1,
        run: async (_deps, job) => {
          seen.push(isFirstAttempt(job));
          if (seen.length === 1) throw new UpstreamUnavailable('graph', 'answer lost', 504);
          return 'done';
        },
      },
    );
    await queues.draft.add('draft', { requestId: 'req-runner-first' }, { jobId: 'req-runner-first' });
    expect(await settled('req-runner-first')).toBe('completed');
    expect(seen).toEqual([true, false]);
    // Picked up again after a crash: BullMQ counted the start (and the stall), nothing failed.
    expect(isFirstAttempt({ attemptsMade: 0, attemptsStarted: 2, stalledCounter: 1 })).toBe(false);
    expect(isFirstAttempt({ attemptsMade: 0, attemptsStarted: 2, stalledCounter: 0 })).toBe(false);
  });

  it('stops waiting for a worker after its grace period and says so; one that closes in time is just closed', async () => {
    await open('req-runner-close');
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      worker = startStageWorker(
        deps,
        { connection, prefix },
        {
          queue: 'intake',
          concurrency: 1,
          run: () => {
            resolve();
            return new Promise<StageOutcome>((r) => (release = () => r('done')));
          },
        },
      );
    });
    await queues.intake.add(
      'intake',
      {
        requestId: 'req-runner-close',
        flow: 'callback',
        source: 'hubspot.app',
        account: '1',
        objectType: 'contact',
        contactId: '1001',
        eventId: '1',
        occurredAt: 0,
        receivedAt: 0,
      },
      { jobId: 'req-runner-close' },
    );
    await started;
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    // The job never finishes on its own: without the bound this close would hang past the test's timeout.
    expect(await closeWorker(worker!, 200, logger)).toBe(false);
    expect(lines.map((l) => JSON.parse(l) as { msg: string; queue: string; graceMs: number })).toEqual([
      expect.objectContaining({
        queue: 'intake',
        graceMs: 200,
        msg: expect.stringContaining('did not close within its grace period'),
      }),
    ]);
    // The job ends after all: the close BullMQ was waiting for completes, and the job with it.
    release();
    expect(await closeWorker(worker!, 10_000, logger)).toBe(true);
    expect(await queues.intake.getJobState('req-runner-close')).toBe('completed');
    expect(lines).toHaveLength(1);
    worker = undefined;
  });

  it('dead-letters a job that stalled more often than allowed (its workers kept dying)', async () => {
    await open('req-runner-stalled');
    await deps.requests.transition('req-runner-stalled', 'fetched', { actor: 'test' });
    await deps.requests.transition('req-runner-stalled', 'drafted', { actor: 'test' });
    const timing = { lockDurationMs: 300, stalledIntervalMs: 200 };
    let runs = 0;
    // The deliver queue: no worker of the earlier tests has claimed its stall check for 30 s.
    const hang: StageDefinition<'deliver', StageRunnerDeps> = {
      queue: 'deliver',
      concurrency: 1,
      run: () => {
        runs++;
        return new Promise<never>(() => undefined);
      },
    };
    await queues.deliver.drain(); // what the chaining test handed on
    await queues.deliver.add('deliver', { requestId: 'req-runner-stalled' }, { jobId: 'req-runner-stalled' });
    // Three workers in turn take the job and die with it (their connection goes, nothing renews the
    // lock); each next one's stall check puts it back. maxStalledCount is 2: the third stall is one too many.
    for (let i = 0; i < 3; i++) {
      const dyingConnection = createRedis(REDIS_URL, 'worker', 'test-runner-dying');
      const dying = startStageWorker(deps, { connection: dyingConnection, prefix }, hang, timing);
      await new Promise<void>((resolve) => dying.once('active', () => resolve()));
      dyingConnection.disconnect();
      void dying.close(true);
    }
    worker = startStageWorker(deps, { connection, prefix }, hang, timing);
    await expect
      .poll(async () => (await deps.requests.get('req-runner-stalled'))?.state, { timeout: 20_000 })
      .toBe('failed');
    expect(runs).toBe(3);
    expect(await queues.deliver.getJobState('req-runner-stalled')).toBe('failed');
    expect(await deps.requests.get('req-runner-stalled')).toMatchObject({ reason: 'dead_letter' });
    // The dead letter moves the record first and then hands on to crm-sync: wait for that too (on the
    // cluster run the check came between the two once).
    await expect
      .poll(() => queues['crm-sync'].getJobState('req-runner-stalled'), { timeout: 10_000 })
      .toBe('waiting');
  }, 30_000);
});
