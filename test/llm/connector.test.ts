import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from '../../sandbox/llm/simulator.ts';
import { regionProblem } from '../../src/cli/config-check.ts';
import { LeakBlocked, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { LlmDraftRequest } from '../../src/ports.ts';
import { createLeakGuard } from '../../src/privacy/leak-guard.ts';
import { RedisRateBudget } from '../../src/rate-budget.ts';
import type { RedisClient } from '../../src/redis.ts';
import { defaultPolicy, deletePrefix, testRedis, testSettings, uniquePrefix } from '../support/env.ts';

const budgets = {
  eu: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 800 },
  local: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 800 },
};

function request(overrides: Partial<LlmDraftRequest> = {}): LlmDraftRequest {
  return {
    route: 'eu',
    system:
      'Du schreibst eine kurze E-Mail auf Deutsch (Sie-Form). Antworte als JSON mit subject, body und language ("de").',
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
  let redis: RedisClient;
  const prefixes: string[] = [];
  const sharedBudget = () => {
    const prefix = uniquePrefix('llm-budget');
    prefixes.push(prefix);
    return new RedisRateBudget(redis, { prefix });
  };
  beforeAll(async () => {
    redis = await testRedis();
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
  afterAll(async () => {
    await sim.close();
    for (const p of prefixes) await deletePrefix(p);
    redis.disconnect();
  });
  afterEach(() => {
    sim.requests.length = 0;
    sim.setQuota(undefined);
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
    const body = req!.body as {
      response_format: { type: string; json_schema: { strict: boolean; name: string } };
    };
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
    const err = await llm
      .draft(request({ user: 'Bitte Erika Musterfrau zurückrufen, erika.musterfrau@example.com' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeakBlocked);
    expect((err as LeakBlocked).findings).toEqual(expect.arrayContaining(['KNOWN_VALUE', 'EMAIL']));
    const unknown = await llm
      .draft(request({ user: 'Rückruf an +49 171 2345678 bei Herrn Bernd Beispielmann' }))
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(LeakBlocked);
    expect(sim.requests).toHaveLength(0);
  });

  it('surfaces the Azure content filter and truncation as typed outcomes', async () => {
    const filtered = await llm.draft(request({ user: `Kontext: ${sim.contentFilterMarker}` }));
    expect(filtered).toEqual({ kind: 'content_filtered', categories: ['violence'] });
    sim.inject({ finishReason: 'length' });
    expect((await llm.draft(request())).kind).toBe('truncated');
  });

  it("honours a 429's retry-after-ms in process (no SDK retry on top), then pauses the queue if throttling persists", async () => {
    const sleeps: number[] = [];
    const recording = new DraftingLlm({
      eu: { endpoint: sim.url, apiKey: sim.apiKey, apiVersion: '2024-10-21', deployment: sim.deployment },
      budgets,
      sleep: async (ms) => void sleeps.push(ms),
    });
    sim.inject({ status: 429, retryAfterMs: 2500 });
    expect((await recording.draft(request())).kind).toBe('drafted');
    expect(sleeps).toEqual([2500]);
    expect(sim.requests).toHaveLength(2);
    sim.inject({ status: 429, retryAfterMs: 1500, times: 3 });
    const err = await recording.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(1500);
    expect(sim.requests).toHaveLength(5);
    // A Retry-After beyond what a job should sleep through pauses the queue at once.
    sim.inject({ status: 429, retryAfterMs: 45_000 });
    await expect(recording.draft(request())).rejects.toBeInstanceOf(UpstreamRateLimited);
    expect(sim.requests).toHaveLength(6);
  });

  it('the simulated deployment enforces TPM and RPM like Azure: prompt estimate + max_tokens, 429 with Retry-After, remaining headers', async () => {
    // 5,000 TPM: one request counts its prompt (~100 tokens) plus max_completion_tokens (800).
    sim.setQuota({ tokensPerMinute: 5_000, requestsPerMinute: 600 });
    const res = await fetch(
      `${sim.url}/openai/deployments/${sim.deployment}/chat/completions?api-version=2024-10-21`,
      {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: 'x'.repeat(400) }],
          max_completion_tokens: 800,
        }),
      },
    );
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-ratelimit-remaining-tokens'))).toBe(5_000 - 900);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    const big = await fetch(
      `${sim.url}/openai/deployments/${sim.deployment}/chat/completions?api-version=2024-10-21`,
      {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: 'x'.repeat(400) }],
          max_completion_tokens: 4_500,
        }),
      },
    );
    expect(big.status).toBe(429);
    expect(Number(big.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(big.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('429');
    expect(sim.quotaStats()).toMatchObject({ calls: 2, throttled: 1 });
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

  it('rejects a wrong key with UpstreamRejected, naming the key to check', async () => {
    const wrong = new DraftingLlm({
      eu: { endpoint: sim.url, apiKey: 'nope', apiVersion: '2024-10-21', deployment: sim.deployment },
      budgets,
    });
    const err = await wrong.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRejected);
    expect((err as Error).message).toContain('AZURE_OPENAI_API_KEY');
  });

  it('says why an unreachable endpoint failed and which setting to check', async () => {
    // A port nobody listens on any more: the connection is refused at once.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const closed = new DraftingLlm({
      eu: { endpoint: `http://127.0.0.1:${port}`, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'd' },
      budgets,
      maxRetries: 0,
      sleep: async () => undefined,
    });
    const err = await closed.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailable);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).toContain('AZURE_OPENAI_ENDPOINT');
  });

  it('waits for its booked slot in the shared quota, and pauses the queue when the slot is over a minute ahead', async () => {
    const sleeps: number[] = [];
    const rateBudget = sharedBudget();
    const eu = {
      endpoint: sim.url,
      apiKey: sim.apiKey,
      apiVersion: '2024-10-21',
      deployment: sim.deployment,
    };
    // 6 RPM: one request per 10 s (Azure's short window); a second process shares the budget.
    const tight = { ...budgets, eu: { requestsPerMinute: 6, tokensPerMinute: 100_000, timeoutMs: 800 } };
    const a = new DraftingLlm({ eu, budgets: tight, rateBudget, sleep: async (ms) => void sleeps.push(ms) });
    const b = new DraftingLlm({ eu, budgets: tight, rateBudget, sleep: async (ms) => void sleeps.push(ms) });
    expect((await a.draft(request())).kind).toBe('drafted');
    expect((await b.draft(request())).kind).toBe('drafted');
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(9_000);
    // Tokens: two requests' worth per minute; the third is booked more than a minute out.
    const tokens = { ...budgets, eu: { requestsPerMinute: 600, tokensPerMinute: 2_000, timeoutMs: 800 } };
    const c = new DraftingLlm({
      eu,
      budgets: tokens,
      rateBudget: sharedBudget(),
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect((await c.draft(request())).kind).toBe('drafted');
    expect((await c.draft(request())).kind).toBe('drafted');
    const err = await c.draft(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect(sim.requests).toHaveLength(4);
  });

  it('books prompt estimate + max_tokens, so the simulated deployment never answers 429 to a shared budget', async () => {
    sim.setQuota({ tokensPerMinute: 3_000, requestsPerMinute: 600 });
    const eu = {
      endpoint: sim.url,
      apiKey: sim.apiKey,
      apiVersion: '2024-10-21',
      deployment: sim.deployment,
    };
    const quota = { ...budgets, eu: { requestsPerMinute: 600, tokensPerMinute: 3_000, timeoutMs: 800 } };
    const rateBudget = sharedBudget();
    const processes = [0, 1].map(
      () => new DraftingLlm({ eu, budgets: quota, rateBudget, sleep: async () => undefined }),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => processes[i % 2]!.draft(request())),
    );
    // ~950 tokens each: three fit in the minute, the other three are booked over a minute ahead.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(
      outcomes
        .filter((o) => o.status === 'rejected')
        .every((o) => (o as PromiseRejectedResult).reason instanceof UpstreamRateLimited),
    ).toBe(true);
    expect(sim.quotaStats().throttled).toBe(0);
  });

  it('refuses an Azure region outside the policy allow-list', () => {
    const policy = defaultPolicy();
    expect(
      regionProblem(
        testSettings({
          AZURE_OPENAI_API_KEY: 'k',
          AZURE_OPENAI_DEPLOYMENT: 'd',
          AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
          AZURE_OPENAI_REGION: 'eastus',
        }),
        policy,
      ),
    ).toMatch(/not on the policy's allowedRegions/);
    expect(
      regionProblem(
        testSettings({
          AZURE_OPENAI_API_KEY: 'k',
          AZURE_OPENAI_DEPLOYMENT: 'd',
          AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
        }),
        policy,
      ),
    ).toMatch(/required/);
    expect(
      regionProblem(
        testSettings({
          AZURE_OPENAI_API_KEY: 'k',
          AZURE_OPENAI_DEPLOYMENT: 'd',
          AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
          AZURE_OPENAI_REGION: 'SwedenCentral',
        }),
        policy,
      ),
    ).toBeUndefined();
  });
});
