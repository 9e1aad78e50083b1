import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterCount } from '../../src/ops/dead-letter-count.ts';
import { createRedis, type RedisClient } from '../../src/redis.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../support/env.ts';

describe('dead-letter count from the failed set (real Redis and BullMQ)', () => {
  const prefix = uniquePrefix('deadletters');
  let redis: RedisClient;
  let queue: Queue;
  let count: DeadLetterCount;
  const workers: Worker[] = [];
  const connection = () => createRedis(REDIS_URL, 'worker', 'draftbridge-test-worker');
  // Every worker checks for stalled jobs this often (one check per interval and queue, whoever runs it).
  const stalledInterval = 200;

  beforeAll(async () => {
    redis = await testRedis();
    queue = new Queue('stage', { connection: connection(), prefix });
    count = new DeadLetterCount(redis, queue.toKey('failed'));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close(true)));
    await queue.close();
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('starts at zero whatever failed before, then counts each job that fails for good once', async () => {
    await redis.zadd(queue.toKey('failed'), Date.now() - 1_000, 'before-start');
    expect(await count.newSince()).toBe(0);
    const worker = new Worker(
      'stage',
      async (job) => {
        if (job.data.fail) throw new Error('refused');
      },
      { connection: connection(), prefix, stalledInterval },
    );
    workers.push(worker);
    const failed = new Promise<void>((resolve) =>
      worker.on('failed', (job) => job?.attemptsMade === 2 && resolve()),
    );
    // Two attempts: the first failure is a retry, not a dead letter.
    await queue.add('job', { fail: true }, { jobId: 'dead-1', attempts: 2 });
    await queue.add('job', { fail: false }, { jobId: 'fine-1' });
    await failed;
    expect(await count.newSince()).toBe(1);
    expect(await count.newSince()).toBe(0);
    await worker.close();
  });

  it('counts a job retried from the failed set that fails again, and one that stalled too often', async () => {
    // An operator's retry: the job leaves the failed set, runs again and fails again.
    const again = new Worker(
      'stage',
      async (): Promise<void> => {
        throw new Error('still refused');
      },
      { connection: connection(), prefix, stalledInterval },
    );
    workers.push(again);
    const failedAgain = new Promise<void>((resolve) => again.on('failed', () => resolve()));
    await new Promise((r) => setTimeout(r, 5));
    await (await queue.getJob('dead-1'))!.retry('failed');
    await failedAgain;
    await again.close();
    // A worker that dies holding the job: the next one's stalled check fails it (maxStalledCount 0).
    const dyingConnection = connection();
    const dying = new Worker('stage', () => new Promise(() => undefined), {
      connection: dyingConnection,
      prefix,
      lockDuration: 300,
      stalledInterval,
    });
    workers.push(dying);
    const taken = new Promise<void>((resolve) => dying.on('active', () => resolve()));
    await queue.add('job', {}, { jobId: 'stalled-1' });
    await taken;
    // Its connection goes too, so nothing renews the job's lock.
    dyingConnection.disconnect();
    void dying.close(true);
    const checker = new Worker('stage', async () => undefined, {
      connection: connection(),
      prefix,
      stalledInterval,
      maxStalledCount: 0,
      lockDuration: 300,
    });
    workers.push(checker);
    await expect.poll(async () => queue.getJobState('stalled-1'), { timeout: 10_000 }).toBe('failed');
    expect(await count.newSince()).toBe(2);
  });

  it('reads a failure stamped by a process whose clock runs behind', async () => {
    await count.newSince();
    await redis.zadd(queue.toKey('failed'), Date.now() - 120_000, 'late-clock');
    expect(await count.newSince()).toBe(1);
    // Beyond the allowance it is taken for an old failure.
    const strict = new DeadLetterCount(redis, queue.toKey('failed'), { skewMs: 1_000 });
    await strict.newSince();
    await redis.zadd(queue.toKey('failed'), Date.now() - 120_000, 'too-late');
    expect(await strict.newSince()).toBe(0);
  });
});
