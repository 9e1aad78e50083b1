import { Queue, Worker } from 'bullmq';
import type { QueueName } from '../../src/pipeline/queues.ts';
import { createRedis } from '../../src/redis.ts';
import { LatencyLog, paced } from './latency.ts';
import type { RedisCount } from './support.ts';

/**
 * The floor the pipeline is compared with: the same requests through the same four chained BullMQ
 * stages (same concurrency, same Redis), each stage making the HTTP calls the pipeline's stage made,
 * with the same bodies, to the same simulator process, through plain fetch: no SDKs, no privacy, no
 * audit, no state of our own.
 *
 * The call list is not written down here: the simulators record every call the pipeline makes during
 * the measured window, and the floor replays them (request i of the floor makes the calls that fell
 * to request i's share). So when the pipeline makes fewer vendor calls, the floor does too. The one
 * thing defined here is which stage a call belongs to (`floorStageOf`); a new kind of vendor call
 * needs a line there.
 */

/** A call a simulator saw (tools/bench/simulator-process.ts), enough to send it again. */
export interface SimulatorCall {
  service: 'hubspot' | 'graph' | 'llm';
  origin: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

/** Stage index (0 intake, 1 draft, 2 deliver, 3 crm-sync) of the pipeline stage that makes this call. */
export function floorStageOf(call: Pick<SimulatorCall, 'service' | 'method' | 'path'>): number {
  switch (call.service) {
    case 'llm':
      return 1;
    case 'hubspot':
      // Reads (contact, owner, batch read) at intake; notes and status writes at crm-sync.
      return call.method === 'GET' || call.path.endsWith('/batch/read') ? 0 : 3;
    case 'graph':
      // Calendar and mailbox settings for the offered slots at draft; the message, its lookup and
      // the mailbox subscription (and Entra tokens for them) at deliver.
      return /\/(calendar|mailboxSettings|events)\b/.test(call.path) ? 1 : 2;
  }
}

/** Per stage, the calls of each of `requests` requests (request i gets the i-th share, in order). */
export type FloorPlan = SimulatorCall[][][];

export function planFloor(calls: readonly SimulatorCall[], requests: number, stages = 4): FloorPlan {
  const byStage: SimulatorCall[][] = Array.from({ length: stages }, () => []);
  for (const c of [...calls].sort((a, b) => a.at - b.at)) byStage[floorStageOf(c)]!.push(c);
  return byStage.map((list) => {
    const perRequest: SimulatorCall[][] = Array.from({ length: requests }, () => []);
    list.forEach((c, j) => perRequest[Math.floor((j * requests) / list.length)]!.push(c));
    return perRequest;
  });
}

/** Calls per request the plan makes, per service (what the simulators saw, per request). */
export function callsPerRequest(
  calls: readonly SimulatorCall[],
  requests: number,
): Record<SimulatorCall['service'], number> {
  const out = { hubspot: 0, graph: 0, llm: 0 };
  for (const c of calls) out[c.service]++;
  return { hubspot: out.hubspot / requests, graph: out.graph / requests, llm: out.llm / requests };
}

async function replay(call: SimulatorCall, waited: Record<SimulatorCall['service'], number>): Promise<void> {
  const t0 = performance.now();
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(call.query ?? {}))
    for (const x of Array.isArray(v) ? v : [v]) qs.append(k, String(x));
  const url = `${call.origin}${call.path}${qs.size ? `?${qs}` : ''}`;
  const type = call.headers['content-type'] ?? '';
  const body =
    call.body === undefined || call.body === null || call.method === 'GET'
      ? undefined
      : type.includes('x-www-form-urlencoded')
        ? new URLSearchParams(call.body as Record<string, string>).toString()
        : typeof call.body === 'string'
          ? call.body
          : JSON.stringify(call.body);
  const res = await fetch(url, {
    method: call.method,
    headers: call.headers,
    ...(body !== undefined ? { body } : {}),
  });
  // A plain client reads the answer too (JSON where it is JSON).
  if ((res.headers.get('content-type') ?? '').includes('json')) await res.json().catch(() => undefined);
  else await res.arrayBuffer();
  waited[call.service] += performance.now() - t0;
}

export interface FloorResult {
  perSecond: number;
  cpuMsPerRequest: number;
  /** Redis commands this process sent per request in the measured window, and their round trips. */
  redisCommandsPerRequest: number;
  redisTripsPerRequest: number;
  /** Milliseconds a request waited on each simulator (sum of its calls' round trips), in the measured window. */
  waitMsPerRequest: Record<SimulatorCall['service'], number>;
  ms: number;
}

/** The pipeline's stages in order; the floor's stage i stands for the i-th (see `floorStageOf`). */
export const STAGES = ['intake', 'draft', 'deliver', 'crm-sync'] as const satisfies readonly QueueName[];
export type StageName = (typeof STAGES)[number];

/** Per stage, each request's ms from its start to that stage's end (deliver's end: the draft in the mailbox). */
export type StageLatencies = Record<StageName, number[]>;

/** The floor's workers, kept between windows so the bench can alternate them with the pipeline's. */
export interface FloorRunner {
  /** Pushes `count` requests with `plan`'s calls through the stages, unmeasured (JIT, connections). */
  warm(plan: FloorPlan, count: number): Promise<void>;
  /** Pushes `count` requests with `plan`'s calls and measures them. */
  measure(plan: FloorPlan, count: number): Promise<FloorResult>;
  /** Adds `count` requests one at a time at `perSecond`; each one's latency from its add to each stage's end. */
  paced(plan: FloorPlan, count: number, perSecond: number): Promise<StageLatencies>;
  close(): Promise<void>;
}

/**
 * Starts the floor's four chained stages. Stage s of a request numbered i within a push makes
 * plan[s][i mod plan length]'s calls in sequence, as the pipeline's stage does.
 */
export async function startFloor(options: {
  redisUrl: string;
  prefix: string;
  stages: number[];
  redisCount: () => RedisCount;
}): Promise<FloorRunner> {
  const producer = createRedis(options.redisUrl, 'worker', 'bench-floor-producer');
  const connection = createRedis(options.redisUrl, 'worker', 'bench-floor-worker');
  const names = options.stages.map((_, i) => `floor-stage-${i}`);
  const queues = names.map(
    (name) =>
      new Queue(name, {
        connection: producer,
        prefix: options.prefix,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
      }),
  );
  let plan: FloorPlan = [];
  let done = 0;
  let target = 0;
  let jobs = 0;
  const waited = { hubspot: 0, graph: 0, llm: 0 };
  let resolveTarget: () => void = () => undefined;
  let closing: Promise<void> | undefined;
  const workers = names.map(
    (name, s) =>
      new Worker(
        name,
        async (job) => {
          const i = (job.data as { i: number }).i;
          const share = plan[s] ?? [];
          for (const call of share.length ? share[i % share.length]! : []) await replay(call, waited);
          const next = queues[s + 1];
          if (next) await next.add(name, job.data, { jobId: job.id! });
          else if (++done === target) resolveTarget();
        },
        { connection, prefix: options.prefix, concurrency: options.stages[s]! },
      ),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // Measured as the pipeline's are: when the worker reports the job completed (its state moved).
  let latency: LatencyLog<StageName> | undefined;
  STAGES.forEach((stage, s) =>
    workers[s]?.on('completed', (job) =>
      latency?.reached(stage, (job.data as { requestId: string }).requestId),
    ),
  );
  // Request k of a push is `floor-<first + k>` and makes the calls of plan share k.
  const job = (first: number, k: number) => ({
    name: 'floor',
    data: { requestId: `floor-${first + k}`, i: k },
    opts: { jobId: `floor-${first + k}` },
  });
  /** Runs `count` requests with `withPlan`'s calls, added by `add`, until the last stage finished them all. */
  const run = async (withPlan: FloorPlan, count: number, add: (first: number) => Promise<void>) => {
    if (count === 0) return; // `--warmup 0`: nothing would ever reach the target
    plan = withPlan;
    target += count;
    const reached = new Promise<void>((r) => (resolveTarget = r));
    const first = jobs;
    jobs += count;
    await add(first);
    await reached;
  };
  const push = (withPlan: FloorPlan, count: number) =>
    run(withPlan, count, async (first) => {
      for (let i = 0; i < count; i += 100)
        await queues[0]!.addBulk(
          Array.from({ length: Math.min(100, count - i) }, (_, k) => job(first, i + k)),
        );
    });
  return {
    warm: push,
    async measure(withPlan, count) {
      waited.hubspot = waited.graph = waited.llm = 0;
      const redis0 = options.redisCount();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await push(withPlan, count);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const redis1 = options.redisCount();
      return {
        perSecond: (count / ms) * 1000,
        cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / count,
        redisCommandsPerRequest: (redis1.commands - redis0.commands) / count,
        redisTripsPerRequest: (redis1.trips - redis0.trips) / count,
        waitMsPerRequest: {
          hubspot: waited.hubspot / count,
          graph: waited.graph / count,
          llm: waited.llm / count,
        },
        ms,
      };
    },
    async paced(withPlan, count, perSecond) {
      const log = (latency = new LatencyLog(STAGES));
      await run(withPlan, count, (first) =>
        paced(count, perSecond, async (k) => {
          const { name, data, opts } = job(first, k);
          log.start(data.requestId);
          await queues[0]!.add(name, data, opts);
        }),
      );
      // The last job's `completed` event comes just after its processor counted it.
      await log.settled('crm-sync', count);
      return log.ms;
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
        producer.disconnect();
        connection.disconnect();
      })();
      return closing;
    },
  };
}
