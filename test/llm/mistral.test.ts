import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { MistralClient } from '../../connectors/llm/mistral/connector.ts';
import { startMistralSimulator, type MistralSimulator } from '../../sandbox/llm/mistral/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { budgets, draftRequest } from './support.ts';

describe('Mistral connector (@mistralai/mistralai) against the Mistral simulator', () => {
  let sim: MistralSimulator;
  const client = (apiKey = sim.apiKey) =>
    new MistralClient({ apiKey, model: 'mistral-small-latest', serverURL: sim.url });
  const llm = (options: Partial<ConstructorParameters<typeof DraftingLlm>[0]> = {}) =>
    new DraftingLlm({ routes: { eu: client() }, budgets, sleep: async () => undefined, ...options });

  beforeAll(async () => {
    sim = await startMistralSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.requests.length = 0;
    sim.clearFaults();
  });

  it('drafts on /v1/chat/completions with a bearer key, max_tokens and a json_schema response format', async () => {
    const outcome = await llm().draft(draftRequest());
    expect(outcome.kind).toBe('drafted');
    if (outcome.kind !== 'drafted') return;
    expect(outcome.draft.body.startsWith('Sehr geehrte Frau [[PERSON_3]],')).toBe(true);
    expect(outcome.model).toBe('mistral-small-latest');
    expect(outcome.usage.promptTokens).toBeGreaterThan(0);
    const [req] = sim.requests;
    expect(req!.path).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    const body = req!.body as Record<string, unknown> & {
      response_format: { type: string; json_schema: { name: string; schema: { required: string[] } } };
    };
    expect(body.max_tokens).toBe(800);
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.schema.required).toEqual(['subject', 'body', 'language']);
  });

  it('the simulator answers an OpenAI-only field with 422 extra_forbidden, like Mistral', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'x' }],
        max_completion_tokens: 10,
      }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: { detail: { type: string }[] } }).message.detail[0]!.type).toBe(
      'extra_forbidden',
    );
  });

  it('backs off on 429 rate_limited (no Retry-After), then pauses the queue; a wrong key is refused', async () => {
    const sleeps: number[] = [];
    const recording = llm({ sleep: async (ms) => void sleeps.push(ms) });
    sim.inject({ status: 429 });
    expect((await recording.draft(draftRequest())).kind).toBe('drafted');
    expect(sleeps[0]).toBeGreaterThanOrEqual(2_000);
    sim.inject({ status: 429, times: 3 });
    await expect(recording.draft(draftRequest())).rejects.toBeInstanceOf(UpstreamRateLimited);
    await expect(
      new DraftingLlm({ routes: { eu: client('wrong') }, budgets }).draft(draftRequest()),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('maps length to truncated, finish_reason error to a refusal, persistent 5xx and timeouts to an outage', async () => {
    sim.inject({ finishReason: 'length' });
    expect((await llm().draft(draftRequest())).kind).toBe('truncated');
    expect(await llm().draft(draftRequest({ user: `Kontext: ${sim.refusalMarker}` }))).toEqual({
      kind: 'content_filtered',
      categories: ['error'],
    });
    sim.inject({ status: 500 });
    expect((await llm().draft(draftRequest())).kind).toBe('drafted');
    sim.inject({ status: 503, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ timeout: true, timeoutMs: 3_000, times: 2 });
    await expect(llm().draft(draftRequest())).rejects.toBeInstanceOf(UpstreamUnavailable);
  });
});
