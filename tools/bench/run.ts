import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createPorts } from '../../connectors/index.ts';
import { stageConcurrency, startWorkers } from '../../workers/index.ts';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import type { Policy } from '../../src/policy.ts';
import type { Settings } from '../../src/settings.ts';
import {
  callsPerRequest,
  planFloor,
  STAGES,
  startFloor,
  type FloorResult,
  type SimulatorCall,
  type StageLatencies,
  type StageName,
} from './floor.ts';
import { runInflight } from './inflight.ts';
import { LatencyLog, paced, percentile } from './latency.ts';
import { rawBullmqRate } from './raw-bullmq.ts';
import {
  askSimulators,
  countRedis,
  deletePrefix,
  deliver,
  hubspotEvent,
  round,
  startSimulatorProcess,
  waitForCompleted,
} from './support.ts';
import { isClusterUrl } from '../../src/redis.ts';
import type { QuotaCommand } from './quota-protocol.ts';
import {
  describeCalls,
  readVendorCalls,
  sumVendorCalls,
  vendorCallFigures,
  type VendorCallFigures,
  type VendorCalls,
} from './vendor-calls.ts';

/**
 * `npm run bench`: in one process and one run, on the same Redis and the same simulator process:
 * - the whole pipeline in sandbox mode with zero simulated latency (signed webhooks in, drafts and
 *   CRM notes out), after a warm-up, in windows that alternate with the floor's (floor.ts: the same
 *   stages and the same vendor calls through plain fetch), and raw BullMQ moving no-op jobs through
 *   the same four stages;
 * - the webhook intake route next to a bare Fastify route;
 * - peak RSS of a fresh process with 1,000 LLM calls in flight (inflight.ts).
 * The simulators run in a child process (they stand in for remote services), so CPU time per request
 * is draftbridge's own.
 */
export interface BenchResult extends VendorCallFigures {
  /** Requests per measured window (the per-request figures are over all windows). */
  requests: number;
  warmup: number;
  /** Pipeline windows, each followed by a floor window replaying its calls (see `runBench`). */
  windows: number;
  /** `ratio_floor` of each pipeline window and the floor window after it. */
  ratio_floor_windows: number[];
  pipeline_per_s: number;
  floor_per_s: number;
  ratio_floor: number;
  cpu_ms_per_request: number;
  floor_cpu_ms_per_request: number;
  /** Sent by this process (BullMQ's included), and the round trips they took. */
  redis_commands_per_request: number;
  redis_trips_per_request: number;
  floor_redis_commands_per_request: number;
  floor_redis_trips_per_request: number;
  llm_calls_per_request: number;
  /** What a floor request waited on each simulator, ms (the vendors' share of the latency). */
  floor_wait_ms_hubspot: number;
  floor_wait_ms_graph: number;
  floor_wait_ms_llm: number;
  raw_bullmq_per_s: number;
  ratio: number;
  /** Webhooks sent one at a time at `latency_rate_per_s` (after the windows) for the latency figures. */
  latency_requests: number;
  latency_rate_per_s: number;
  /** Webhook delivered → draft in the mailbox (deliver stage done), ms; the floor from its first add. */
  latency_p50_ms: number;
  latency_p95_ms: number;
  floor_latency_p50_ms: number;
  floor_latency_p95_ms: number;
  /** `latency_p95_ms` − `floor_latency_p95_ms`: what draftbridge adds to the wait at p95. */
  latency_added_p95_ms: number;
  /** Webhook delivered → CRM sync done (the note and status in the CRM), ms. */
  latency_crm_p95_ms: number;
  floor_latency_crm_p95_ms: number;
  /** p50 ms from the start to each stage's end, where the added latency goes. */
  latency_stage_ends_p50_ms: Record<StageName, number>;
  floor_latency_stage_ends_p50_ms: Record<StageName, number>;
  raw_bullmq_cpu_ms_per_job: number;
  intake_per_s: number;
  bare_fastify_per_s: number;
  intake_ratio: number;
  rss_mb: number;
  rss_mb_start_inflight: number;
  rss_mb_inflight: number;
  heap_mb_inflight: number;
  heap_mb_live_inflight: number;
  llm_inflight_peak: number;
  inflight_llm_latency_ms: number;
}

const CONTACTS = ['1001', '1002', '1006'];
// Contact 1006 is the sandbox's new lead.
const event = (contactId: string, eventId: number) =>
  hubspotEvent(contactId, eventId, { lead: contactId === '1006' });

export async function runBench(
  baseSettings: Settings,
  basePolicy: Policy,
  options: {
    requests: number;
    warmup?: number;
    windows?: number;
    latencyRequests?: number;
    latencyRate?: number;
    inflight?: number;
    inflightLatencyMs?: number;
  },
): Promise<BenchResult> {
  // On a Redis Cluster the prefix is a hash tag, as a deployment's must be.
  const prefix = isClusterUrl(baseSettings.REDIS_URL)
    ? `{dbbench-${randomUUID().slice(0, 8)}}`
    : `dbbench-${randomUUID().slice(0, 8)}`;
  const policy = benchPolicy(basePolicy);
  const settings: Settings = {
    ...baseSettings,
    DRAFTBRIDGE_QUEUE_PREFIX: prefix,
    DRAFTBRIDGE_SANDBOX: true,
    LOG_LEVEL: 'silent',
  };
  const redisCount = countRedis();
  const simulators = await startSimulatorProcess(settings, { ipc: true });
  const ctx = createAppContext(simulators.settings, policy, { logger: createLogger({ level: 'silent' }) });
  await ctx.ready();
  const app = await buildServer(ctx);
  const ports = await createPorts(ctx.settings, policy, prometheusConnectorMetrics);
  const workers = await startWorkers(ctx, ports);
  const n = options.requests;
  const warmup = options.warmup ?? 300;
  let eventId = 1;
  // Pushes `count` signed webhooks (100 events per delivery) and waits for their CRM notes.
  const pushPipeline = async (count: number) => {
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, () =>
        event(CONTACTS[eventId % CONTACTS.length]!, eventId++),
      );
      const status = await deliver(app, ctx.settings.publicUrl, batch);
      if (status !== 204) throw new Error(`webhook answered ${status}`);
    }
    await waitForCompleted(ctx, 'crm-sync', eventId - 1);
  };
  // Webhooks one at a time at `perSecond`, each one's latency from its delivery to the end of each
  // stage (deliver's end: the draft in the mailbox; crm-sync's: the CRM note).
  const pacedPipeline = async (count: number, perSecond: number): Promise<StageLatencies> => {
    const log = new LatencyLog(STAGES);
    type Ids = { requestId: string; eventId?: string };
    // `active`: before the intake job makes its next stage's job, so before the request can finish.
    const onIntake = (job: { data: unknown }) =>
      log.alias((job.data as Ids).eventId ?? '', (job.data as Ids).requestId);
    const worker = (queue: string) => workers.workers.find((w) => w.name === queue)!;
    const listeners = STAGES.map(
      (stage) =>
        [worker(stage), (job: { data: unknown }) => log.reached(stage, (job.data as Ids).requestId)] as const,
    );
    const intake = worker('intake');
    intake.on('active', onIntake);
    for (const [stageWorker, onCompleted] of listeners) stageWorker.on('completed', onCompleted);
    try {
      const first = eventId;
      eventId += count;
      await paced(count, perSecond, async (k) => {
        const id = first + k;
        log.start(String(id));
        const status = await deliver(app, ctx.settings.publicUrl, [
          event(CONTACTS[id % CONTACTS.length]!, id),
        ]);
        if (status !== 204) throw new Error(`webhook answered ${status}`);
      });
      await log.settled('crm-sync', count);
      return log.ms;
    } finally {
      intake.off('active', onIntake);
      for (const [stageWorker, onCompleted] of listeners) stageWorker.off('completed', onCompleted);
    }
  };
  // While the floor runs, the pipeline's workers (idle then) are paused: see the windows below.
  const pausePipeline = () => Promise.all(workers.workers.map((worker) => worker.pause()));
  // The comparators run each stage with the pipeline's concurrency (workers/*.ts and the policy).
  const stages = stageConcurrency(policy, ports.crm);
  const floorStages = await startFloor({
    redisUrl: settings.REDIS_URL,
    prefix: `${prefix}-floor`,
    stages,
    redisCount,
  });
  try {
    // Warm-up (JIT, connections, token caches, mailbox state): long enough that the window is steady.
    await pushPipeline(warmup);
    // The measured requests go in windows, each pipeline window followed by a floor window replaying
    // exactly its calls: a slower or faster phase of a shared machine then falls on both sides
    // alike instead of on one (one window each gave 0.38 to 0.47 for the same code).
    // Each window measures `requests` requests (shorter windows would add a fill and drain each).
    const windows = Math.max(1, options.windows ?? 2);
    const measured = n * windows;
    const pipeline = { ms: 0, cpuMs: 0, commands: 0, trips: 0 };
    const floorWindows: FloorResult[] = [];
    const ratios: number[] = [];
    const allCalls: SimulatorCall[] = [];
    let vendorCalls: VendorCalls = { hubspot: {}, graph: {} };
    let rss = 0;
    for (let w = 0; w < windows; w++) {
      // What the simulators saw so far (the warm-up, the floor's replays) is not this window's.
      await askSimulators(simulators, { type: 'take', keep: false });
      const vendor0 = await readVendorCalls(simulators.child);
      const redis0 = redisCount();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await pushPipeline(n);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const redis1 = redisCount();
      rss = Math.max(rss, process.memoryUsage().rss);
      vendorCalls = sumVendorCalls(vendorCalls, vendor0, await readVendorCalls(simulators.child));
      const { calls } = await askSimulators<{ calls: SimulatorCall[] }>(simulators, {
        type: 'take',
        keep: true,
      });
      allCalls.push(...calls);
      pipeline.ms += ms;
      pipeline.cpuMs += (cpu.user + cpu.system) / 1000;
      pipeline.commands += redis1.commands - redis0.commands;
      pipeline.trips += redis1.trips - redis0.trips;
      const plan = planFloor(calls, n);
      // The pipeline's workers (idle now) are paused while the floor runs: an idle worker still polls
      // and keeps timers (about 1.4 % of a core here), which would be billed to the floor. The floor's
      // are not paused between its windows (a paused worker takes a while to pick up again, which
      // slowed the floor by about 7 %), so their idle polling is billed to the pipeline: if anything,
      // the ratio errs against the pipeline.
      await pausePipeline();
      if (w === 0) await floorStages.warm(plan, warmup);
      const f = await floorStages.measure(plan, n);
      for (const worker of workers.workers) worker.resume();
      floorWindows.push(f);
      ratios.push(round(n / ms / (f.perSecond / 1000), 3));
    }
    const pipelineMs = pipeline.ms;
    const vendor = vendorCallFigures({ hubspot: {}, graph: {} }, vendorCalls, measured);

    // Latency at a steady low rate, pipeline then floor. The floor replays the calls the pipeline made
    // at this rate (one at a time, batches of one: more calls per request than in the windows), with
    // the pipeline's idle workers paused, as in the windows.
    const latencyRate = options.latencyRate ?? 10;
    const latencyCount = options.latencyRequests ?? 300;
    await askSimulators(simulators, { type: 'take', keep: false });
    const pipelineLatency = await pacedPipeline(latencyCount, latencyRate);
    const { calls: pacedCalls } = await askSimulators<{ calls: SimulatorCall[] }>(simulators, {
      type: 'take',
      keep: true,
    });
    await pausePipeline();
    const floorLatency = await floorStages.paced(
      planFloor(pacedCalls, latencyCount),
      latencyCount,
      latencyRate,
    );
    await askSimulators(simulators, { type: 'take', keep: false });
    await workers.close();
    await floorStages.close();
    const floorMs = floorWindows.reduce((t, f) => t + f.ms, 0);
    // Per-request figures over all windows (each window has `requests` requests).
    const floorPerRequest = (pick: (f: FloorResult) => number) =>
      floorWindows.reduce((t, f) => t + pick(f), 0) / windows;
    const floor = {
      perSecond: (measured / floorMs) * 1000,
      cpuMsPerRequest: floorPerRequest((f) => f.cpuMsPerRequest),
      redisCommandsPerRequest: floorPerRequest((f) => f.redisCommandsPerRequest),
      redisTripsPerRequest: floorPerRequest((f) => f.redisTripsPerRequest),
      waitMsPerRequest: {
        hubspot: floorPerRequest((f) => f.waitMsPerRequest.hubspot),
        graph: floorPerRequest((f) => f.waitMsPerRequest.graph),
        llm: floorPerRequest((f) => f.waitMsPerRequest.llm),
      },
    };
    await askSimulators(simulators, { type: 'take', keep: false });
    const raw = await rawBullmqRate({
      redisUrl: settings.REDIS_URL,
      prefix: `${prefix}-raw`,
      jobs: n,
      stages,
    });

    // Intake alone (one event per delivery, no workers) against a bare Fastify route, same inject path.
    const m = Math.max(500, n);
    const t1 = performance.now();
    for (let i = 0; i < m; i++) await deliver(app, ctx.settings.publicUrl, [event('1001', 2_000_000 + i)]);
    const intakeMs = performance.now() - t1;
    const bare = Fastify();
    bare.post('/webhooks/hubspot', async (_req, reply) => reply.code(204).send());
    await bare.ready();
    const t2 = performance.now();
    for (let i = 0; i < m; i++)
      await bare.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        payload: JSON.stringify([event('1001', i)]),
        headers: { 'content-type': 'application/json' },
      });
    const bareMs = performance.now() - t2;
    await bare.close();

    // A fresh process (as a deployment's would be) with the LLM answering slowly enough that every
    // call is in flight at once: at 2 s this busy machine starts only some 600 before the first
    // answers, and at 30 s it still missed some.
    const latencyMs = options.inflightLatencyMs ?? 90_000;
    await askSimulators(simulators, { type: 'quota', llmLatencyMs: latencyMs } satisfies QuotaCommand);
    const inflightPolicy = {
      ...policy,
      llm: {
        ...policy.llm,
        routes: {
          eu: { ...policy.llm.routes.eu, timeoutMs: latencyMs * 4 },
          local: { ...policy.llm.routes.local, timeoutMs: latencyMs * 4 },
        },
      },
    };
    const inflight = await runInflight(simulators, settings, inflightPolicy, {
      prefix: `${prefix}-inflight`,
      requests: options.inflight ?? 1_000,
    });

    const pipelinePerS = (measured / pipelineMs) * 1000;
    const intakePerS = (m / intakeMs) * 1000;
    const barePerS = (m / bareMs) * 1000;
    const perRequest = callsPerRequest(allCalls, measured);
    return {
      requests: n,
      warmup,
      windows,
      ratio_floor_windows: ratios,
      pipeline_per_s: round(pipelinePerS),
      floor_per_s: round(floor.perSecond),
      ratio_floor: round(pipelinePerS / floor.perSecond, 3),
      cpu_ms_per_request: round(pipeline.cpuMs / measured, 3),
      floor_cpu_ms_per_request: round(floor.cpuMsPerRequest, 3),
      redis_commands_per_request: round(pipeline.commands / measured),
      redis_trips_per_request: round(pipeline.trips / measured),
      floor_redis_commands_per_request: round(floor.redisCommandsPerRequest),
      floor_redis_trips_per_request: round(floor.redisTripsPerRequest),
      llm_calls_per_request: round(perRequest.llm, 2),
      floor_wait_ms_hubspot: round(floor.waitMsPerRequest.hubspot),
      floor_wait_ms_graph: round(floor.waitMsPerRequest.graph),
      floor_wait_ms_llm: round(floor.waitMsPerRequest.llm),
      raw_bullmq_per_s: round(raw.perSecond),
      ratio: round(pipelinePerS / raw.perSecond, 3),
      raw_bullmq_cpu_ms_per_job: round(raw.cpuMsPerJob, 3),
      latency_requests: latencyCount,
      latency_rate_per_s: latencyRate,
      latency_p50_ms: round(percentile(pipelineLatency.deliver, 50)),
      latency_p95_ms: round(percentile(pipelineLatency.deliver, 95)),
      floor_latency_p50_ms: round(percentile(floorLatency.deliver, 50)),
      floor_latency_p95_ms: round(percentile(floorLatency.deliver, 95)),
      latency_added_p95_ms: round(
        percentile(pipelineLatency.deliver, 95) - percentile(floorLatency.deliver, 95),
      ),
      latency_crm_p95_ms: round(percentile(pipelineLatency['crm-sync'], 95)),
      floor_latency_crm_p95_ms: round(percentile(floorLatency['crm-sync'], 95)),
      latency_stage_ends_p50_ms: stageEnds(pipelineLatency),
      floor_latency_stage_ends_p50_ms: stageEnds(floorLatency),
      intake_per_s: round(intakePerS),
      bare_fastify_per_s: round(barePerS),
      intake_ratio: round(intakePerS / barePerS, 3),
      rss_mb: round(rss / 1024 / 1024),
      ...vendor,
      rss_mb_start_inflight: inflight.rssMbStart,
      rss_mb_inflight: inflight.rssMbPeak,
      heap_mb_inflight: inflight.heapMbAtPeak,
      heap_mb_live_inflight: inflight.heapMbLive,
      llm_inflight_peak: inflight.inflightPeak,
      inflight_llm_latency_ms: latencyMs,
    };
  } finally {
    await workers.close().catch(() => undefined);
    await floorStages.close().catch(() => undefined);
    await app.close();
    await ctx.close();
    simulators.child.kill('SIGTERM');
    await deletePrefix(settings.REDIS_URL, prefix);
  }
}

function stageEnds(latencies: StageLatencies): Record<StageName, number> {
  return Object.fromEntries(
    STAGES.map((stage) => [stage, round(percentile(latencies[stage], 50))]),
  ) as Record<StageName, number>;
}

/** Budgets and rate limits off: the bench measures our overhead, not the providers' quotas. */
export function benchPolicy(basePolicy: Policy): Policy {
  return {
    ...basePolicy,
    // The bench sends thousands of triggers for a handful of contacts: each must make its draft.
    defaults: { ...basePolicy.defaults, openRequestWindow: 0 },
    limits: {
      ...basePolicy.limits,
      hubspot: { requestsPer10s: 1_000_000 },
      graph: { mailboxConcurrency: 4 },
    },
    llm: {
      ...basePolicy.llm,
      routes: {
        eu: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 },
        local: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 },
      },
    },
  };
}

export function formatBench(r: BenchResult): string {
  return [
    `draftbridge bench: ${r.windows} × ${r.requests} callback requests after ${r.warmup} warm-up requests, sandbox simulators with zero latency in a second process`,
    `each pipeline window is followed by a floor window replaying its calls; ratio per window: ${r.ratio_floor_windows.join(', ')}`,
    '',
    '| measurement | per second | CPU ms per request | Redis commands (round trips) per request |',
    '| --- | ---: | ---: | ---: |',
    `| whole pipeline (webhook → draft in Outlook → CRM note) | ${r.pipeline_per_s} | ${r.cpu_ms_per_request} | ${r.redis_commands_per_request} (${r.redis_trips_per_request}) |`,
    `| floor: same stages, same vendor calls through plain fetch | ${r.floor_per_s} | ${r.floor_cpu_ms_per_request} | ${r.floor_redis_commands_per_request} (${r.floor_redis_trips_per_request}) |`,
    `| ratio pipeline / floor | ${r.ratio_floor} | aim ≥ 0.6 | |`,
    `| raw BullMQ, 4 chained no-op stages, same concurrency | ${r.raw_bullmq_per_s} | ${r.raw_bullmq_cpu_ms_per_job} | |`,
    `| ratio pipeline / raw BullMQ | ${r.ratio} | | |`,
    `| webhook intake (verify, parse, dedupe, enqueue, audit) | ${r.intake_per_s} | | |`,
    `| bare Fastify route | ${r.bare_fastify_per_s} | ratio ${r.intake_ratio} | |`,
    '',
    `Latency at ${r.latency_rate_per_s} requests/s (${r.latency_requests} webhooks, one at a time), webhook → draft in the mailbox: p50 ${r.latency_p50_ms} ms, p95 ${r.latency_p95_ms} ms; floor p50 ${r.floor_latency_p50_ms} ms, p95 ${r.floor_latency_p95_ms} ms; added at p95 ${r.latency_added_p95_ms} ms. To the CRM note: p95 ${r.latency_crm_p95_ms} ms, floor ${r.floor_latency_crm_p95_ms} ms.`,
    `Each stage's end, p50 from the webhook (floor): ${STAGES.map((stage) => `${stage} ${r.latency_stage_ends_p50_ms[stage]} (${r.floor_latency_stage_ends_p50_ms[stage]})`).join(', ')} ms.`,
    '',
    '| vendor calls per request (counted by the simulators) | calls | by endpoint |',
    '| --- | ---: | --- |',
    `| HubSpot | ${r.hubspot_calls_per_request} | ${describeCalls(r.hubspot_calls)} |`,
    `| Microsoft Graph, the draft (messages) | ${r.graph_calls_per_request} | |`,
    `| Microsoft Graph, all (with calendar and subscriptions) | ${r.graph_all_calls_per_request} | ${describeCalls(r.graph_calls)} |`,
    `| LLM | ${r.llm_calls_per_request} | |`,
    '',
    `A floor request waited ${r.floor_wait_ms_hubspot} / ${r.floor_wait_ms_graph} / ${r.floor_wait_ms_llm} ms on HubSpot / Graph / the LLM.`,
    `RSS after the pipeline windows (the highest): ${r.rss_mb} MB`,
    `RSS of a fresh process: ${r.rss_mb_start_inflight} MB at start, ${r.rss_mb_inflight} MB at peak with ${r.llm_inflight_peak} LLM calls in flight (answers after ${r.inflight_llm_latency_ms / 1000} s; heap ${r.heap_mb_inflight} MB at the peak, ${r.heap_mb_live_inflight} MB live; aim < 300)`,
    'Redis commands: sent by this process, BullMQ included (each command of a MULTI or pipeline; a script once).',
  ].join('\n');
}
