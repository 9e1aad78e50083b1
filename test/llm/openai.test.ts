import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { openAiEuClient } from '../../connectors/llm/openai/connector.ts';
import { startOpenAiSimulator, type OpenAiSimulator } from '../../sandbox/llm/openai/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { budgets, draftRequest } from './support.ts';

describe('OpenAI EU connector (openai SDK) against the OpenAI EU simulator', () => {
  let sim: OpenAiSimulator;
  const client = (o: { apiKey?: string; project?: string } = {}) =>
    openAiEuClient(
      {
        apiKey: o.apiKey ?? sim.apiKey,
        model: 'gpt-4o-mini-2024-07-18',
        baseURL: `${sim.url}/v1`,
        project: o.project ?? sim.project,
      },
      2_000,
    );
  const llm = (options: Partial<ConstructorParameters<typeof DraftingLlm>[0]> = {}) =>
    new DraftingLlm({ routes: { eu: client() }, budgets, sleep: async () => undefined, ...options });

  beforeAll(async () => {
    sim = await startOpenAiSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.requests.length = 0;
    sim.clearFaults();
  });

  it('drafts with a bearer key, the OpenAI-Project header and strict json_schema output', async () => {
    const outcome = await llm().draft(draftRequest());
    expect(outcome.kind).toBe('drafted');
    if (outcome.kind !== 'drafted') return;
    expect(outcome.draft.body.startsWith('Sehr geehrte Frau [[PERSON_3]],')).toBe(true);
    expect(outcome.usage.completionTokens).toBeGreaterThan(0);
    const [req] = sim.requests;
    expect(req!.path).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    expect(req!.headers['openai-project']).toBe(sim.project);
    expect(
      (req!.body as { response_format: { type: string; json_schema: { strict: boolean } } }).response_format,
    ).toMatchObject({ type: 'json_schema', json_schema: { strict: true, name: 'email_draft' } });
  });

  it('refuses the global host and defaults to the EU host', () => {
    expect(() =>
      openAiEuClient({ apiKey: 'k', model: 'm', baseURL: 'https://api.openai.com/v1' }, 1000),
    ).toThrow(/not OpenAI's EU host/);
    expect(() => openAiEuClient({ apiKey: 'k', model: 'm' }, 1000)).not.toThrow();
  });

  it('an OPENAI_BASE_URL or OPENAI_PROJECT in the environment does not reach the Azure or local clients', async () => {
    const saved = { base: process.env.OPENAI_BASE_URL, project: process.env.OPENAI_PROJECT };
    process.env.OPENAI_BASE_URL = `${sim.url}/v1`;
    process.env.OPENAI_PROJECT = sim.project;
    try {
      const local = new DraftingLlm({
        local: { baseURL: `${sim.url}/v1`, model: 'gpt-4.1-mini', apiKey: sim.apiKey },
        eu: {
          endpoint: 'https://x.openai.azure.com',
          apiKey: 'k',
          apiVersion: '2024-10-21',
          deployment: 'd',
        },
        budgets,
      });
      expect((await local.draft(draftRequest({ route: 'local' }))).kind).toBe('drafted');
      expect(sim.requests[0]!.headers['openai-project']).toBeUndefined();
    } finally {
      for (const [k, v] of [
        ['OPENAI_BASE_URL', saved.base],
        ['OPENAI_PROJECT', saved.project],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a refusal is a content-filter outcome; a wrong project or key is refused', async () => {
    expect(await llm().draft(draftRequest({ user: `Kontext: ${sim.refusalMarker}` }))).toEqual({
      kind: 'content_filtered',
      categories: ['refusal'],
    });
    await expect(
      new DraftingLlm({ routes: { eu: client({ project: 'proj_other' }) }, budgets }).draft(draftRequest()),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    await expect(
      new DraftingLlm({ routes: { eu: client({ apiKey: 'sk-wrong' }) }, budgets }).draft(draftRequest()),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it("honours a 429's retry-after-ms, then pauses the queue; retries a 5xx once", async () => {
    const sleeps: number[] = [];
    const recording = llm({ sleep: async (ms) => void sleeps.push(ms) });
    sim.inject({ status: 429, retryAfterMs: 1200 });
    expect((await recording.draft(draftRequest())).kind).toBe('drafted');
    expect(sleeps).toEqual([1200]);
    sim.inject({ status: 429, retryAfterMs: 1200, times: 3 });
    await expect(recording.draft(draftRequest())).rejects.toBeInstanceOf(UpstreamRateLimited);
    sim.inject({ status: 500 });
    expect((await llm().draft(draftRequest())).kind).toBe('drafted');
    sim.inject({ status: 502, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ finishReason: 'length' });
    expect((await llm().draft(draftRequest())).kind).toBe('truncated');
    sim.inject({ timeout: true, timeoutMs: 3_000, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
  });
});
