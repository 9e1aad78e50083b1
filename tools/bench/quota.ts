import { randomUUID } from 'node:crypto';
import { createPorts } from '../../connectors/index.ts';
import { startWorkers } from '../../workers/index.ts';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import type { Policy } from '../../src/policy.ts';
import { sharedRateBudget } from '../../src/rate-budget.ts';
import { isClusterUrl } from '../../src/redis.ts';
import type { Settings } from '../../src/settings.ts';
import type { QuotaCommand, QuotaReport } from './quota-protocol.ts';
import {
  askSimulators,
  deletePrefix,
  deliver,
  hubspotEvent,
  round,
  startSimulatorProcess,
  waitForCompleted,
} from './support.ts';

/**
 * The bench's quota scenarios: the whole pipeline against vendors that enforce their limits, each on
 * its own prefix with the simulators in a child process (limits set and counts read over IPC).
 * - LLM goodput: a burst of callback requests against an Azure deployment of `llmTpm` tokens per
 *   minute (RPM 6 per 1,000 TPM) answering in `llmLatencyMs`. Utilisation = tokens the deployment
 *   counted (prompt estimate + max_tokens, as Azure does at admission) in the whole minutes from its
 *   first admission up to its last, over TPM; 429 rate = its 429 answers over all its calls. The draft
 *   queue is held until intake has fetched every request, so the quota meets a backlog throughout.
 * - HubSpot burst: `requests` callback webhooks at once against a portal allowing 190 calls per 10 s.
 *   The floor is the time that limit needs for the calls the simulator answered (calls per request as
 *   counted there, so fewer calls per request lower the floor): calls / 19 per s.
 */
export interface QuotaBenchResult {
  llm_requests: number;
  llm_tpm: number;
  llm_latency_ms: number;
  llm_quota_utilisation: number;
  llm_429_rate: number;
  llm_steady_minutes: number;
  /** Jobs that ended failed (dead letters) in either scenario: pacing must not cost requests. */
  llm_failed_jobs: number;
  burst_requests: number;
  burst_drain_s: number;
  burst_drain_floor_s: number;
  burst_hubspot_calls_per_request: number;
  burst_hubspot_429_rate: number;
  burst_failed_jobs: number;
}

export interface QuotaBenchOptions {
  requests: number;
  llmRequests: number;
  llmTpm: number;
  llmLatencyMs: number;
}

const HUBSPOT_LIMIT = { max: 190, intervalMs: 10_000 };
const CONTACTS = ['1001', '1002', '1006'];

export async function runQuotaBench(
  settings: Settings,
  loaded: Policy,
  options: QuotaBenchOptions,
): Promise<QuotaBenchResult> {
  // Thousands of triggers for a handful of contacts: each must make its draft (no repeat detection).
  const policy: Policy = { ...loaded, defaults: { ...loaded.defaults, openRequestWindow: 0 } };
  const llm = await llmScenario(settings, policy, options);
  const burst = await burstScenario(settings, policy, options.requests);
  return { ...llm, ...burst };
}

async function llmScenario(baseSettings: Settings, basePolicy: Policy, options: QuotaBenchOptions) {
  const tpm = options.llmTpm;
  const rpm = Math.floor((tpm / 1000) * 6);
  const route = { requestsPerMinute: rpm, tokensPerMinute: tpm, timeoutMs: 30_000 };
  const policy: Policy = {
    ...basePolicy,
    limits: { ...basePolicy.limits, hubspot: { requestsPer10s: 1_000_000 } },
    llm: { ...basePolicy.llm, routes: { eu: route, local: route } },
  };
  const n = options.llmRequests;
  const { report, failed } = await withPipeline(
    baseSettings,
    policy,
    {
      type: 'quota',
      llm: { tokensPerMinute: tpm, requestsPerMinute: rpm },
      llmLatencyMs: options.llmLatencyMs,
    },
    n,
    { draftBacklog: true },
  );
  const admitted = [...report.llm.admitted].sort((a, b) => a.at - b.at);
  const first = admitted[0]?.at ?? 0;
  const last = admitted.at(-1)?.at ?? 0;
  const minutes = Math.floor((last - first) / 60_000);
  const counted = admitted.filter((a) => a.at < first + minutes * 60_000).reduce((s, a) => s + a.tokens, 0);
  return {
    llm_requests: n,
    llm_tpm: tpm,
    llm_latency_ms: options.llmLatencyMs,
    // Needs at least one whole minute with requests still waiting after it (else NaN: size up).
    llm_quota_utilisation: minutes > 0 ? round(counted / (minutes * tpm), 3) : Number.NaN,
    llm_429_rate: round(report.llm.throttled / Math.max(1, report.llm.calls), 4),
    llm_steady_minutes: minutes,
    llm_failed_jobs: failed,
  };
}

async function burstScenario(baseSettings: Settings, basePolicy: Policy, n: number) {
  const policy: Policy = {
    ...basePolicy,
    limits: { ...basePolicy.limits, hubspot: { requestsPer10s: HUBSPOT_LIMIT.max } },
    llm: {
      ...basePolicy.llm,
      routes: {
        eu: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 },
        local: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, timeoutMs: 30_000 },
      },
    },
  };
  const { report, seconds, failed } = await withPipeline(
    baseSettings,
    policy,
    { type: 'quota', hubspot: HUBSPOT_LIMIT },
    n,
  );
  const perSecond = HUBSPOT_LIMIT.max / (HUBSPOT_LIMIT.intervalMs / 1000);
  return {
    burst_requests: n,
    burst_drain_s: round(seconds),
    burst_drain_floor_s: round(report.hubspot.calls / perSecond),
    burst_hubspot_calls_per_request: round(report.hubspot.calls / n, 2),
    burst_hubspot_429_rate: round(
      report.hubspot.throttled / Math.max(1, report.hubspot.calls + report.hubspot.throttled),
      4,
    ),
    burst_failed_jobs: failed,
  };
}

/**
 * `n` callback webhooks at once through the whole pipeline with the vendors' limits set; the drain time
 * and the vendors' counts. `draftBacklog` holds the draft queue until intake has fetched all `n`, so the
 * LLM meets a steady backlog from its first call instead of however fast a busy machine runs intake.
 */
async function withPipeline(
  baseSettings: Settings,
  policy: Policy,
  limits: QuotaCommand,
  n: number,
  options: { draftBacklog?: boolean } = {},
): Promise<{ seconds: number; report: QuotaReport; failed: number }> {
  const prefix = isClusterUrl(baseSettings.REDIS_URL)
    ? `{dbquota-${randomUUID().slice(0, 8)}}`
    : `dbquota-${randomUUID().slice(0, 8)}`;
  const settings: Settings = {
    ...baseSettings,
    DRAFTBRIDGE_QUEUE_PREFIX: prefix,
    DRAFTBRIDGE_SANDBOX: true,
    LOG_LEVEL: 'silent',
  };
  const simulators = await startSimulatorProcess(settings, { ipc: true });
  const ctx = createAppContext(simulators.settings, policy, { logger: createLogger({ level: 'silent' }) });
  const quotas = sharedRateBudget(settings.REDIS_URL, prefix);
  try {
    await ctx.ready();
    const app = await buildServer(ctx);
    const workers = await startWorkers(
      ctx,
      await createPorts(ctx.settings, policy, prometheusConnectorMetrics, quotas.budget),
    );
    try {
      await askSimulators(simulators, limits);
      if (options.draftBacklog) await ctx.queues.draft.pause();
      const t0 = performance.now();
      for (let i = 0; i < n; i += 100) {
        const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => {
          const contact = CONTACTS[(i + k) % CONTACTS.length]!;
          return hubspotEvent(contact, i + k + 1, { lead: contact === '1006' });
        });
        const status = await deliver(app, ctx.settings.publicUrl, batch);
        if (status !== 204) throw new Error(`webhook answered ${status}`);
      }
      if (options.draftBacklog) {
        await waitForCompleted(ctx, 'intake', n);
        await ctx.queues.draft.resume();
      }
      await waitForCompleted(ctx, 'crm-sync', n);
      const seconds = (performance.now() - t0) / 1000;
      const report = await askSimulators<QuotaReport>(simulators, { type: 'report' } satisfies QuotaCommand);
      let failed = 0;
      for (const queue of ['intake', 'draft', 'deliver', 'crm-sync'] as const)
        failed += (await ctx.queues[queue].getJobCounts('failed')).failed ?? 0;
      return { seconds, report, failed };
    } finally {
      await workers.close();
      await app.close();
    }
  } finally {
    await ctx.close();
    quotas.close();
    simulators.child.kill('SIGTERM');
    await deletePrefix(settings.REDIS_URL, prefix);
  }
}

export function formatQuotaBench(r: QuotaBenchResult): string[] {
  return [
    '',
    `Vendor quotas (whole pipeline, simulators enforcing the limits):`,
    '',
    '| measurement | value | note |',
    '| --- | ---: | --- |',
    `| llm_quota_utilisation | ${r.llm_quota_utilisation} | ${r.llm_requests} requests, ${r.llm_tpm} TPM deployment answering in ${r.llm_latency_ms} ms; tokens as the deployment counts them, over ${r.llm_steady_minutes} whole minutes; aim ≥ 0.9 |`,
    `| llm_429_rate | ${r.llm_429_rate} | 429 answers / calls; aim ≤ 0.01; failed jobs ${r.llm_failed_jobs} |`,
    `| burst_drain_s | ${r.burst_drain_s} | ${r.burst_requests} callback webhooks at once, HubSpot enforcing 190 / 10 s; aim ≤ 1.1 × floor |`,
    `| burst_drain_floor_s | ${r.burst_drain_floor_s} | ${r.burst_hubspot_calls_per_request} HubSpot calls per request / 19 per s; 429 rate ${r.burst_hubspot_429_rate}; failed jobs ${r.burst_failed_jobs} |`,
  ];
}
