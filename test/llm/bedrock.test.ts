import { keysFor } from '../../src/keys.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BedrockClient } from '../../connectors/llm/bedrock/connector.ts';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { startBedrockSimulator, type BedrockSimulator } from '../../sandbox/llm/bedrock/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { LeakBlocked, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { RedisRateBudget } from '../../src/rate-budget.ts';
import type { RedisClient } from '../../src/redis.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';
import { budgets, draftRequest } from './support.ts';

const MODEL = 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0';

describe('Bedrock connector (Converse, @aws-sdk/client-bedrock-runtime) against the Bedrock simulator', () => {
  let sim: BedrockSimulator;
  let redis: RedisClient;
  const prefixes: string[] = [];
  const client = (secret = sim.secretAccessKey, accessKeyId = sim.accessKeyId) =>
    new BedrockClient({
      region: sim.region,
      modelId: MODEL,
      endpoint: sim.url,
      credentials: async () => ({ accessKeyId, secretAccessKey: secret }),
    });
  const llm = (options: Partial<ConstructorParameters<typeof DraftingLlm>[0]> = {}) =>
    new DraftingLlm({ routes: { eu: client() }, budgets, sleep: async () => undefined, ...options });

  beforeAll(async () => {
    redis = await testRedis();
    sim = await startBedrockSimulator();
    trustSimulatorCa(sim.tls.caPem);
  });
  afterAll(async () => {
    await sim.close();
    for (const p of prefixes) await deletePrefix(p);
    redis.disconnect();
  });
  afterEach(() => {
    sim.requests.length = 0;
    sim.clearFaults();
    sim.setQuota(undefined);
  });

  it('drafts through Converse over HTTP/2 with a SigV4 signature the simulator verifies, and a forced tool call for the JSON', async () => {
    const outcome = await llm().draft(draftRequest());
    expect(outcome.kind).toBe('drafted');
    if (outcome.kind !== 'drafted') return;
    expect(outcome.draft.body.startsWith('Sehr geehrte Frau [[PERSON_3]],')).toBe(true);
    expect(outcome.model).toBe(MODEL);
    expect(outcome.usage.promptTokens).toBeGreaterThan(0);
    const [req] = sim.requests;
    // The model id travels URL-encoded in the path (":" as %3A).
    expect(req!.path).toBe(`/model/${encodeURIComponent(MODEL)}/converse`);
    expect(String(req!.headers.authorization)).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${sim.accessKeyId}/\\d{8}/eu-central-1/bedrock/aws4_request, SignedHeaders=.*:authority`,
      ),
    );
    const body = req!.body as {
      system: { text: string }[];
      inferenceConfig: { maxTokens: number };
      toolConfig: {
        toolChoice: { tool: { name: string } };
        tools: { toolSpec: { inputSchema: { json: { required: string[] } } } }[];
      };
    };
    expect(body.system[0]!.text).toContain('Sie-Form');
    expect(body.inferenceConfig.maxTokens).toBe(800);
    expect(body.toolConfig.toolChoice.tool.name).toBe('email_draft');
    expect(body.toolConfig.tools[0]!.toolSpec.inputSchema.json.required).toEqual([
      'subject',
      'body',
      'language',
    ]);
  });

  it('a wrong secret is a 403 InvalidSignatureException, an unknown key a 403 UnrecognizedClientException: refused, not retried', async () => {
    await expect(
      new DraftingLlm({ routes: { eu: client('not-the-secret') }, budgets }).draft(draftRequest()),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    await expect(
      new DraftingLlm({ routes: { eu: client(sim.secretAccessKey, 'AKIAUNKNOWN000000000') }, budgets }).draft(
        draftRequest(),
      ),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    expect(sim.requests).toHaveLength(2);
    const res = await fetch(`${sim.url}/model/${encodeURIComponent(MODEL)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
  });

  it('backs off on ThrottlingException (429, no Retry-After) and books again; persistent throttling pauses the queue', async () => {
    const sleeps: number[] = [];
    const recording = llm({ sleep: async (ms) => void sleeps.push(ms) });
    sim.inject({ status: 429 });
    expect((await recording.draft(draftRequest())).kind).toBe('drafted');
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2_000);
    sim.inject({ status: 429, times: 3 });
    const err = await recording.draft(draftRequest()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    // 1 + 1 (first case) + 3: the SDK's own retries are off, every try is ours.
    expect(sim.requests).toHaveLength(5);
  });

  it('the simulated quota throttles with x-amzn-ErrorType ThrottlingException', async () => {
    sim.setQuota({ tokensPerMinute: 1_000, requestsPerMinute: 600 });
    expect((await llm().draft(draftRequest())).kind).toBe('drafted');
    await expect(llm({ maxRetries: 0 }).draft(draftRequest())).rejects.toBeInstanceOf(UpstreamRateLimited);
    expect(sim.quotaStats().throttled).toBeGreaterThan(0);
  });

  it('maps max_tokens to truncated, content_filtered to a filter outcome, 503 to a retried outage', async () => {
    sim.inject({ finishReason: 'length' });
    expect((await llm().draft(draftRequest())).kind).toBe('truncated');
    sim.inject({ finishReason: 'content_filter' });
    expect(await llm().draft(draftRequest())).toEqual({
      kind: 'content_filtered',
      categories: ['content_filtered'],
    });
    sim.inject({ status: 503 });
    expect((await llm().draft(draftRequest())).kind).toBe('drafted');
    sim.inject({ status: 503, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ timeout: true, timeoutMs: 3_000, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('never builds a client for a non-EU region or profile', () => {
    expect(() => new BedrockClient({ region: 'us-east-1', modelId: MODEL })).toThrow(/not an EU region/);
    expect(
      () =>
        new BedrockClient({
          region: 'eu-central-1',
          modelId: 'global.anthropic.claude-sonnet-4-20250514-v1:0',
        }),
    ).toThrow(/not an EU inference profile/);
  });

  it('refuses a request with a personal value before it is signed', async () => {
    await expect(
      llm().draft(draftRequest({ user: 'Bitte Erika Musterfrau zurückrufen' })),
    ).rejects.toBeInstanceOf(LeakBlocked);
    expect(sim.requests).toHaveLength(0);
  });

  it('books its calls in the shared route quota (TPM/RPM in Redis)', async () => {
    const prefix = uniquePrefix('llm-bedrock');
    prefixes.push(prefix);
    const rateBudget = new RedisRateBudget(redis, { prefix });
    const sleeps: number[] = [];
    const tight = { ...budgets, eu: { requestsPerMinute: 6, tokensPerMinute: 100_000, timeoutMs: 2_000 } };
    const a = llm({ budgets: tight, rateBudget, sleep: async (ms) => void sleeps.push(ms) });
    expect((await a.draft(draftRequest())).kind).toBe('drafted');
    expect((await a.draft(draftRequest())).kind).toBe('drafted');
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(9_000);
    // The bookings sit in the route's quota key (one key: also found on a Redis Cluster).
    expect(await redis.zcard(keysFor(prefix).rateBudget('llm-eu'))).toBeGreaterThan(0);
  });
});
