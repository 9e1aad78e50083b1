import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from '../../connectors/llm/simulator.ts';
import { regionProblem } from '../../src/cli/config-check.ts';
import { LeakBlocked, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { LlmDraftRequest } from '../../src/ports.ts';
import { createLeakGuard } from '../../src/privacy/leak-guard.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';

const budgets = { eu: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 800 }, local: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 800 } };

function request(overrides: Partial<LlmDraftRequest> = {}): LlmDraftRequest {
  return {
    route: 'eu',
    system: 'Du schreibst eine kurze E-Mail auf Deutsch (Sie-Form). Antworte als JSON mit subject, body und language ("de").',
    user: 'Beginne den Text (body) mit genau dieser Zeile: Sehr geehrte Frau [[PERSON_3]],\nBeende den Text mit genau diesen Zeilen:\nMit freundlichen Grüßen\n[[PERSON_5]]\nKontext:\n- Firma des Kontakts: [[COMPANY_1]]',
    language: 'de',
    requestId: 'req-llm-1',
    guard: createLeakGuard(['Erika Musterfrau', 'erika.musterfrau@example.com']),
    ...overrides,
  };
}

describe('LLM connector (openai SDK) against the Azure OpenAI simulator', () => {
  let sim: AzureOpenAiSimulator;
  let llm: DraftingLlm;
  beforeAll(async () => {
    sim = await startAzureOpenAiSimulator();
    llm = new DraftingLlm({
      eu: { endpoint: sim.url, apiKey: sim.apiKey, apiVersion: '2024-10-21', deployment: sim.deployment },
      local: { baseURL: `${sim.url}/v1`, model: 'llama3.1:8b' },
      budgets,
      maxRetries: 1,
      // No real backoff between retries: the retry count is what is tested, not the wait.
      sleep: async () => undefined,
    });
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.requests.length = 0;
  });

  it('drafts through the Azure deployment path with api-key, api-version and strict json_schema', async () => {
    const outcome = await llm.draft(request());
    expect(outcome.kind).toBe('drafted');
    if (outcome.kind !== 'drafted') return;
    expect(outcome.draft.language).toBe('de');
    expect(outcome.draft.body.startsWith('Sehr geehrte Frau [[PERSON_3]],')).toBe(true);
    expect(outcome.usage.promptTokens).toBeGreaterThan(0);
    const [req] = sim.requests;
    expect(req!.path).toBe(`/openai/deployments/${sim.deployment}/chat/completions`);
    expect(req!.query['api-version']).toBe('2024-10-21');
    expect(req!.headers['api-key']).toBe(sim.apiKey);
    const body = req!.body as { response_format: { type: string; json_schema: { strict: boolean; name: string } } };
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema).toMatchObject({ strict: true, name: 'email_draft' });
  });

  it('drafts through the local OpenAI-compatible route', async () => {
    const outcome = await llm.draft(request({ route: 'local' }));
    expect(outcome.kind).toBe('drafted');
    expect(sim.requests[0]!.path).toBe('/v1/chat/completions');
    expect((sim.requests[0]!.body as { model: string }).model).toBe('llama3.1:8b');
  });

  it('refuses to send a request carrying a personal value: nothing leaves the process', async () => {
    const err = await llm.draft(request({ user: 'Bitte Erika Musterfrau zurückrufen, erika.musterfrau@example.com' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeakBlocked);
    expect((err as LeakBlocked).findings).toEqual(expect.arrayContaining(['KNOWN_VALUE', 'EMAIL']));
    const unknown = await llm.draft(request({ user: 'Rückruf an +49 171 2345678 bei Herrn Bernd Beispielmann' })).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(LeakBlocked);
    expect(sim.requests).toHaveLength(0);
  });

  it('surfaces the Azure content filter and truncation as typed outcomes', async () => {
    const filtered = await llm.draft(request({ user: `Kontext: ${sim.contentFilterMarker}` }));
    expect(filtered).toEqual({ kind: 'content_filtered', categories: ['violence'] });
    sim.inject({ finishReason: 'length' });
    expect((await llm.draft(request())).kind).toBe('truncated');
  });

  it('maps 429 with retry-after-ms to UpstreamRateLimited without retrying it', async () => {
    sim.inject({ status: 429, retryAfterMs: 2500 });
    const err = await llm.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(2500);
    expect(sim.requests).toHaveLength(1);
  });

  it('retries one 5xx, then reports persistent 5xx, timeouts and malformed bodies as UpstreamUnavailable', async () => {
    sim.inject({ status: 500 });
    expect((await llm.draft(request())).kind).toBe('drafted');
    sim.inject({ status: 503, times: 2 });
    await expect(llm.draft(request())).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ timeout: true, timeoutMs: 2000, times: 2 });
    await expect(llm.draft(request())).rejects.toBeInstanceOf(UpstreamUnavailable);
    // A 200 with a broken body is not retried by the SDK: one attempt, one fault.
    sim.inject({ malformed: true, times: 1 });
    await expect(llm.draft(request())).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('rejects a wrong key with UpstreamRejected', async () => {
    const wrong = new DraftingLlm({ eu: { endpoint: sim.url, apiKey: 'nope', apiVersion: '2024-10-21', deployment: sim.deployment }, budgets });
    await expect(wrong.draft(request())).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('throttles itself when the per-minute budget is spent, before calling', async () => {
    const tight = new DraftingLlm({ eu: { endpoint: sim.url, apiKey: sim.apiKey, apiVersion: '2024-10-21', deployment: sim.deployment }, budgets: { ...budgets, eu: { requestsPerMinute: 1, tokensPerMinute: 100_000, timeoutMs: 800 } } });
    expect((await tight.draft(request())).kind).toBe('drafted');
    const err = await tight.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBeGreaterThan(50_000);
    expect(sim.requests).toHaveLength(1);
  });

  it('refuses an Azure region outside the policy allow-list', () => {
    const policy = defaultPolicy();
    expect(regionProblem(testSettings({ AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT: 'd', AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', AZURE_OPENAI_REGION: 'eastus' }), policy)).toMatch(/not on the policy's allowedRegions/);
    expect(regionProblem(testSettings({ AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT: 'd', AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com' }), policy)).toMatch(/required/);
    expect(regionProblem(testSettings({ AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT: 'd', AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', AZURE_OPENAI_REGION: 'SwedenCentral' }), policy)).toBeUndefined();
  });
});
