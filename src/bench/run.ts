import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createPorts } from '../../connectors/index.ts';
import { startWorkers } from '../../workers/index.ts';
import { createAppContext } from '../app.ts';
import { buildServer } from '../http/server.ts';
import { createLogger } from '../logger.ts';
import { prometheusConnectorMetrics } from '../metrics.ts';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import { rawBullmqRate } from './raw-bullmq.ts';
import { deletePrefix, deliver, hubspotEvent, round, startSimulatorProcess, waitForCompleted } from './support.ts';
import { isClusterUrl } from '../redis.ts';
import { describeCalls, readVendorCalls, vendorCallFigures, type VendorCallFigures } from './vendor-calls.ts';

/**
 * `npm run bench`: in one process and one run, on the same Redis:
 * - the whole pipeline in sandbox mode with zero simulated latency (signed webhooks in, drafts and
 *   CRM notes out), next to raw BullMQ moving no-op jobs through the same four stages;
 * - the webhook intake route next to a bare Fastify route.
 * The simulators run in a child process (they stand in for remote services), so CPU time per request
 * is draftbridge's own.
 */
export interface BenchResult extends VendorCallFigures {
  requests: number;
  pipeline_per_s: number;
  raw_bullmq_per_s: number;
  ratio: number;
  cpu_ms_per_request: number;
  raw_bullmq_cpu_ms_per_job: number;
  intake_per_s: number;
  bare_fastify_per_s: number;
  intake_ratio: number;
  rss_mb: number;
}

const CONTACTS = ['1001', '1002', '1006'];
// Contact 1006 is the sandbox's new lead.
const event = (contactId: string, eventId: number) => hubspotEvent(contactId, eventId, { lead: contactId === '1006' });

export async function runBench(baseSettings: Settings, basePolicy: Policy, options: { requests: number }): Promise<BenchResult> {
  // On a Redis Cluster the prefix is a hash tag, as a deployment's must be.
  const prefix = isClusterUrl(baseSettings.REDIS_URL) ? `{dbbench-${randomUUID().slice(0, 8)}}` : `dbbench-${randomUUID().slice(0, 8)}`;
  // Budgets and rate limits off: this measures our overhead, not the providers' quotas.
  const policy: Policy = {
    ...basePolicy,
    limits: { ...basePolicy.limits, hubspot: { requestsPer10s: 1_000_000 }, graph: { mailboxConcurrency: 4 } },
    llm: { ...basePolicy.llm, routes: { eu: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 }, local: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 } } },
  };
  const settings: Settings = { ...baseSettings, DRAFTBRIDGE_QUEUE_PREFIX: prefix, DRAFTBRIDGE_SANDBOX: true, LOG_LEVEL: 'silent' };
  const simulators = await startSimulatorProcess(settings, { ipc: true });
  const ctx = createAppContext(simulators.settings, policy, { logger: createLogger({ level: 'silent' }) });
  await ctx.ready();
  const app = await buildServer(ctx);
  const workers = await startWorkers(ctx, createPorts(ctx.settings, policy, prometheusConnectorMetrics));
  const n = options.requests;
  try {
    // Warm-up: JIT, TLS session, token cache.
    await deliver(app, ctx.settings.publicUrl, CONTACTS.map((c, i) => event(c, 900_000_000 + i)));
    await waitForCompleted(ctx, 'crm-sync', CONTACTS.length);

    const calls0 = await readVendorCalls(simulators.child);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100) {
      const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => event(CONTACTS[(i + k) % CONTACTS.length]!, i + k + 1));
      const status = await deliver(app, ctx.settings.publicUrl, batch);
      if (status !== 204) throw new Error(`webhook answered ${status}`);
    }
    await waitForCompleted(ctx, 'crm-sync', n + CONTACTS.length);
    const pipelineMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rss = process.memoryUsage().rss;
    const calls = vendorCallFigures(calls0, await readVendorCalls(simulators.child), n);

    await workers.close();
    const raw = await rawBullmqRate({ redisUrl: settings.REDIS_URL, prefix: `${prefix}-raw`, jobs: n, stages: [8, 4, 4, 4] });

    // Intake alone (one event per delivery, no workers) against a bare Fastify route, same inject path.
    const m = Math.max(500, n);
    const t1 = performance.now();
    for (let i = 0; i < m; i++) await deliver(app, ctx.settings.publicUrl, [event('1001', 2_000_000 + i)]);
    const intakeMs = performance.now() - t1;
    const bare = Fastify();
    bare.post('/webhooks/hubspot', async (_req, reply) => reply.code(204).send());
    await bare.ready();
    const t2 = performance.now();
    for (let i = 0; i < m; i++) await bare.inject({ method: 'POST', url: '/webhooks/hubspot', payload: JSON.stringify([event('1001', i)]), headers: { 'content-type': 'application/json' } });
    const bareMs = performance.now() - t2;
    await bare.close();

    const pipelinePerS = (n / pipelineMs) * 1000;
    const intakePerS = (m / intakeMs) * 1000;
    const barePerS = (m / bareMs) * 1000;
    return {
      requests: n,
      pipeline_per_s: round(pipelinePerS),
      raw_bullmq_per_s: round(raw.perSecond),
      ratio: round(pipelinePerS / raw.perSecond, 3),
      cpu_ms_per_request: round((cpu.user + cpu.system) / 1000 / n, 3),
      raw_bullmq_cpu_ms_per_job: round(raw.cpuMsPerJob, 3),
      intake_per_s: round(intakePerS),
      bare_fastify_per_s: round(barePerS),
      intake_ratio: round(intakePerS / barePerS, 3),
      rss_mb: round(rss / 1024 / 1024),
      ...calls,
    };
  } finally {
    await workers.close().catch(() => undefined);
    await app.close();
    await ctx.close();
    simulators.child.kill('SIGTERM');
    await deletePrefix(settings.REDIS_URL, prefix);
  }
}

export function formatBench(r: BenchResult): string {
  return [
    `draftbridge bench: ${r.requests} callback requests, sandbox simulators with zero latency in a second process`,
    '',
    '| measurement | per second | note |',
    '| --- | ---: | --- |',
    `| whole pipeline (webhook → draft in Outlook → CRM note) | ${r.pipeline_per_s} | ${r.cpu_ms_per_request} CPU ms per request (simulators in their own process) |`,
    `| raw BullMQ, 4 chained no-op stages, same concurrency | ${r.raw_bullmq_per_s} | ${r.raw_bullmq_cpu_ms_per_job} CPU ms per job |`,
    `| ratio pipeline / raw BullMQ | ${r.ratio} | aim ≥ 0.5 |`,
    `| webhook intake (verify, parse, dedupe, enqueue, audit) | ${r.intake_per_s} | one event per delivery |`,
    `| bare Fastify route | ${r.bare_fastify_per_s} | ratio ${r.intake_ratio} |`,
    '',
    '| vendor calls per request (counted by the simulators) | calls | by endpoint |',
    '| --- | ---: | --- |',
    `| HubSpot | ${r.hubspot_calls_per_request} | ${describeCalls(r.hubspot_calls)} |`,
    `| Microsoft Graph, the draft (messages) | ${r.graph_calls_per_request} | |`,
    `| Microsoft Graph, all (with calendar and subscriptions) | ${r.graph_all_calls_per_request} | ${describeCalls(r.graph_calls)} |`,
    '',
    `RSS at the end of the pipeline run: ${r.rss_mb} MB`,
  ].join('\n');
}
