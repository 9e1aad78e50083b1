import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectorMetrics } from './ports.ts';

/**
 * Every Prometheus metric, defined once. Labels are bounded enums (outcome, queue, provider, type):
 * never an id, never a personal value.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'draftbridge_process_' });

export const webhookDeliveries = new Counter({
  name: 'draftbridge_webhook_deliveries_total',
  help: 'Webhook deliveries by source and outcome',
  labelNames: ['source', 'outcome'] as const,
  registers: [registry],
});

export const webhookEvents = new Counter({
  name: 'draftbridge_webhook_events_total',
  help: 'CRM events inside webhook deliveries: enqueued, duplicate or ignored (matched no trigger)',
  labelNames: ['source', 'outcome'] as const,
  registers: [registry],
});

export const stageDuration = new Histogram({
  name: 'draftbridge_stage_duration_seconds',
  help: 'Processing time of one job per pipeline stage and outcome',
  labelNames: ['stage', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const upstreamRequests = new Counter({
  name: 'draftbridge_upstream_requests_total',
  help: 'Requests to external systems by provider and outcome (ok, throttled, error)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const leakGuardRefusals = new Counter({
  name: 'draftbridge_leak_guard_refusals_total',
  help: 'Outbound LLM requests refused because they carried a personal value, by entity type',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const draftPaths = new Counter({
  name: 'draftbridge_draft_paths_total',
  help: 'Drafts by how they were made: llm, llm_without_note (the leak guard refused the note), template',
  labelNames: ['path'] as const,
  registers: [registry],
});

export const llmTokens = new Counter({
  name: 'draftbridge_llm_tokens_total',
  help: 'LLM tokens used by route and kind (prompt, completion)',
  labelNames: ['route', 'kind'] as const,
  registers: [registry],
});

export const requestOutcomes = new Counter({
  name: 'draftbridge_request_outcomes_total',
  help: 'Requests reaching a terminal state, by flow and state',
  labelNames: ['flow', 'state'] as const,
  registers: [registry],
});

/** Jobs per queue and state, read from Redis at scrape time (the app registers where to read). */
type QueueCounts = () => Promise<Record<string, Record<string, number>>>;
let queueCountsSource: QueueCounts | undefined;
export function setQueueCountsSource(source: QueueCounts | undefined): void {
  queueCountsSource = source;
}

export const queueJobs = new Gauge({
  name: 'draftbridge_queue_jobs',
  help: 'Jobs per queue and state (waiting, active, delayed, completed, failed, paused, prioritized)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    if (!queueCountsSource) return;
    this.reset();
    try {
      const counts = await queueCountsSource();
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    } catch {
      // Redis down: the scrape still answers; readyz reports the outage.
    }
  },
});

/** The connectors' metrics sink in a running service: the counters above. */
export const prometheusConnectorMetrics: ConnectorMetrics = {
  upstream: (provider, outcome) => upstreamRequests.inc({ provider, outcome }),
  leakGuardRefusal: (type) => leakGuardRefusals.inc({ type }),
  llmTokens: (route, kind, count) => llmTokens.inc({ route, kind }, count),
};

/**
 * How much the rep changed a reviewed draft before sending it: normalised Levenshtein distance on
 * the body above the signature (0 = sent as drafted, 1 = rewritten). The product's quality signal.
 */
export const draftEditRatio = new Histogram({
  name: 'draftbridge_draft_edit_ratio',
  help: 'Share of the draft body the rep changed before sending (normalised Levenshtein), by flow and language',
  labelNames: ['flow', 'language'] as const,
  buckets: [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1],
  registers: [registry],
});
