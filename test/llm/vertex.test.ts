import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { VertexClient } from '../../connectors/llm/vertex/connector.ts';
import { startVertexSimulator, type VertexSimulator } from '../../sandbox/llm/vertex/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { loadServiceAccountKey } from '../../src/gmail-key.ts';
import { budgets, draftRequest } from './support.ts';

describe('Vertex AI connector (@google/genai, vertexai) against the Vertex simulator', () => {
  let sim: VertexSimulator;
  const client = (o: { location?: string } = {}) =>
    new VertexClient({
      project: sim.project,
      location: o.location ?? sim.location,
      model: 'gemini-2.0-flash-001',
      baseUrl: sim.url,
      key: loadServiceAccountKey(sim.serviceAccountKey),
      tokenUrl: sim.tokenUrl,
    });
  const llm = (options: Partial<ConstructorParameters<typeof DraftingLlm>[0]> = {}) =>
    new DraftingLlm({ routes: { eu: client() }, budgets, sleep: async () => undefined, ...options });

  beforeAll(async () => {
    sim = await startVertexSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.requests.length = 0;
    sim.clearFaults();
  });

  it('drafts through generateContent on the regional v1 path with a token from the Google token endpoint, JSON by responseSchema', async () => {
    const outcome = await llm().draft(draftRequest());
    expect(outcome.kind).toBe('drafted');
    if (outcome.kind !== 'drafted') return;
    expect(outcome.draft.body.startsWith('Sehr geehrte Frau [[PERSON_3]],')).toBe(true);
    expect(outcome.usage.promptTokens).toBeGreaterThan(0);
    const [req] = sim.requests;
    expect(req!.path).toBe(
      `/v1/projects/${sim.project}/locations/europe-west3/publishers/google/models/gemini-2.0-flash-001:generateContent`,
    );
    expect(String(req!.headers.authorization)).toMatch(/^Bearer ya29\./);
    const body = req!.body as {
      systemInstruction: { parts: { text: string }[] };
      generationConfig: {
        responseMimeType: string;
        maxOutputTokens: number;
        responseSchema: { required: string[] };
      };
    };
    expect(body.systemInstruction.parts[0]!.text).toContain('Sie-Form');
    expect(body.generationConfig).toMatchObject({
      responseMimeType: 'application/json',
      maxOutputTokens: 800,
    });
    expect(body.generationConfig.responseSchema.required).toEqual(['subject', 'body', 'language']);
  });

  it('RESOURCE_EXHAUSTED is a 429: backed off and booked again, then the queue pauses', async () => {
    const sleeps: number[] = [];
    const recording = llm({ sleep: async (ms) => void sleeps.push(ms) });
    sim.inject({ status: 429 });
    expect((await recording.draft(draftRequest())).kind).toBe('drafted');
    expect(sleeps[0]).toBeGreaterThanOrEqual(2_000);
    sim.inject({ status: 429, times: 3 });
    await expect(recording.draft(draftRequest())).rejects.toBeInstanceOf(UpstreamRateLimited);
  });

  it('maps MAX_TOKENS, SAFETY, 503 and another location (404) to truncated, filtered, outage and refusal', async () => {
    sim.inject({ finishReason: 'length' });
    expect((await llm().draft(draftRequest())).kind).toBe('truncated');
    sim.inject({ finishReason: 'content_filter' });
    expect(await llm().draft(draftRequest())).toEqual({
      kind: 'content_filtered',
      categories: ['harm_category_harassment'],
    });
    sim.inject({ status: 503 });
    expect((await llm().draft(draftRequest())).kind).toBe('drafted');
    sim.inject({ status: 503, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
    await expect(
      new DraftingLlm({ routes: { eu: client({ location: 'europe-west4' }) }, budgets }).draft(
        draftRequest(),
      ),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    sim.inject({ timeout: true, timeoutMs: 3_000, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('never builds a client for a location outside the EU', () => {
    expect(() => client({ location: 'global' })).toThrow(/not an EU location/);
  });

  it('a request without a valid token is 401 UNAUTHENTICATED', async () => {
    const res = await fetch(
      `${sim.url}/v1/projects/${sim.project}/locations/${sim.location}/publishers/google/models/gemini-2.0-flash-001:generateContent`,
      {
        method: 'POST',
        headers: { authorization: 'Bearer ya29.forged', 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  });
});
