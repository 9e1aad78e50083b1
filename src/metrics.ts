import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
