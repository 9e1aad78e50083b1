import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFor } from '../../src/keys.ts';
import { leakedValues, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * The whole pipeline once per EU LLM provider (DRAFTBRIDGE_LLM): webhook → draft in Outlook through
 * that provider's official SDK and simulator, no personal value in any request it received, a 429
 * waited out, and every call booked in the shared route quota in Redis.
 */
const PROVIDERS = ['azure', 'bedrock', 'openai', 'mistral', 'vertex'] as const;

describe.each(PROVIDERS)('pipeline end to end with the eu route on %s', (provider) => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ env: { DRAFTBRIDGE_LLM: provider } });
    await h.startWorkers();
  });
  afterAll(() => h.close());

  it('drafts through the provider, sends it no personal value, waits out a 429 and books the quota', async () => {
    const sim = h.sandbox.euLlm;
    expect(provider === 'azure' ? sim : h.sandbox.llmProviders[provider]).toBe(sim);
    const before = sim.requests.length;
    // The provider's own throttling answer once (Azure/OpenAI with Retry-After, Bedrock without).
    sim.inject({ status: 429, retryAfterMs: 300 });
    const { status, requestId } = await h.deliverWebhook('1001');
    expect(status).toBe(204);
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed'], 30_000);
    expect(record.state).toBe('awaiting_review');
    expect(record.templateFallback ?? null).toBeNull();
    const [draft] = h.draftsFor(requestId);
    expect(draft!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    expect(draft!.body).toContain('Beispiel Maschinenbau GmbH');
    const calls = sim.requests.slice(before);
    // The throttled call and the one after it, both to this provider's simulator.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(
      leakedValues(
        calls.map((r) => JSON.stringify(r.body)),
        h.personalValues(),
      ),
    ).toEqual([]);
    expect(JSON.stringify(calls.at(-1)!.body)).toContain('[[PERSON_');
    const booked = await h.ctx.redis.zcard(
      keysFor(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX).rateBudget('llm-eu'),
    );
    expect(booked).toBeGreaterThanOrEqual(1);
  });

  it('keeps a health note on the local route: the provider gets nothing, the local model drafts', async () => {
    const before = {
      provider: h.sandbox.euLlm.requests.length,
      local: h.sandbox.llm.requests.filter((r) => r.path === '/v1/chat/completions').length,
    };
    const { requestId } = await h.deliverWebhook('1003');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed'], 30_000);
    expect(record).toMatchObject({ state: 'awaiting_review', route: 'local' });
    expect(h.sandbox.llm.requests.filter((r) => r.path === '/v1/chat/completions').length).toBeGreaterThan(
      before.local,
    );
    // Azure's simulator also serves the local model; for the others the provider saw no request at all.
    if (provider !== 'azure') expect(h.sandbox.euLlm.requests.length).toBe(before.provider);
  });
});
