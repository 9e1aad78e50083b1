import { Queue, Worker } from 'bullmq';
import { createRedis } from '../../src/redis.ts';

/**
 * The baseline: raw BullMQ moving no-op jobs through the same number of chained stages, with the same
 * concurrency, on the same Redis, in the same process and run as the pipeline measurement.
 */
export async function rawBullmqRate(options: {
  redisUrl: string;
  prefix: string;
  jobs: number;
  stages: number[];
}): Promise<{ perSecond: number; cpuMsPerJob: number; ms: number }> {
  const producer = createRedis(options.redisUrl, 'worker', 'bench-raw-producer');
  const connection = createRedis(options.redisUrl, 'worker', 'bench-raw-worker');
  const names = options.stages.map((_, i) => `raw-stage-${i}`);
  const queues = names.map(
    (name) =>
      new Queue(name, {
        connection: producer,
        prefix: options.prefix,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
      }),
  );
  let done = 0;
  let resolveAll: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const workers = names.map(
    (name, i) =>
      new Worker(
        name,
        async (job) => {
          const next = queues[i + 1];
          if (next) await next.add(name, job.data, { jobId: job.id! });
          else if (++done === options.jobs) resolveAll();
        },
        { connection, prefix: options.prefix, concurrency: options.stages[i]! },
      ),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < options.jobs; i += 100) {
    const batch = Array.from({ length: Math.min(100, options.jobs - i) }, (_, k) => ({
      name: 'raw',
      data: { requestId: `raw-${i + k}` },
      opts: { jobId: `raw-${i + k}` },
    }));
    await queues[0]!.addBulk(batch);
  }
  await allDone;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
  producer.disconnect();
  connection.disconnect();
  return {
    perSecond: (options.jobs / ms) * 1000,
    cpuMsPerJob: (cpu.user + cpu.system) / 1000 / options.jobs,
    ms,
  };
}
