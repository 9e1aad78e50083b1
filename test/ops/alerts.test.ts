import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_USERS } from '../../sandbox/oidc/simulator.ts';
import { LlmCircuit } from '../../src/pipeline/llm-circuit.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('alert metrics: dead letters from the failed sets, overdue reviews, open LLM circuit', () => {
  let h: PipelineHarness;
  let viewer: string;

  beforeAll(async () => {
    // Any draft is overdue after 1 ms, so the gauge has something to count.
    h = await startPipelineHarness({ policy: (p) => ({ ...p, mail: { ...p.mail, reviewMaxAge: 1 } }) });
    viewer = `Bearer ${await h.sandbox.oidc.issueToken({ user: OIDC_USERS[0] })}`;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const metrics = async () =>
    (await h.app.inject({ url: '/metrics', headers: { authorization: viewer } })).body;

  it('starts at zero', async () => {
    const body = await metrics();
    expect(body).toMatch(/^draftbridge_dead_letters_total\{queue="intake"\} 0$/m);
    expect(body).toMatch(/^draftbridge_reviews_overdue 0$/m);
    expect(body).toMatch(/^draftbridge_llm_circuit_open\{route="eu"\} 0$/m);
  });

  it('counts a dead letter once, not its retries', async () => {
    h.sandbox.hubspot.inject({
      status: 503,
      times: 2,
      path: /\/crm\/v3\/objects\/contacts\/1002$/,
      method: 'GET',
    });
    const retried = (await h.deliverWebhook('1002')).requestId;
    h.sandbox.hubspot.inject({
      status: 403,
      times: 1,
      path: /\/crm\/v3\/objects\/contacts\/1006$/,
      method: 'GET',
    });
    const dead = (await h.deliverWebhook('1006')).requestId;
    await h.waitForState(dead, ['failed']);
    await h.waitForState(retried, ['awaiting_review']);
    await expect
      .poll(metrics, { timeout: 5_000 })
      .toMatch(/^draftbridge_dead_letters_total\{queue="intake"\} 1$/m);
    expect(await metrics()).toMatch(/^draftbridge_reviews_awaiting 1$/m);
    expect(await metrics()).toMatch(/^draftbridge_reviews_overdue 1$/m);
    expect(await metrics()).toMatch(/^draftbridge_review_oldest_age_seconds \d+$/m);
  });

  it('shows an open LLM circuit', async () => {
    const circuit = new LlmCircuit(h.ctx.redis, {
      prefix: h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX,
      threshold: 2,
      openMs: 60_000,
    });
    await circuit.recordFailure('eu');
    await circuit.recordFailure('eu');
    const body = await metrics();
    expect(body).toMatch(/^draftbridge_llm_circuit_open\{route="eu"\} 1$/m);
    expect(body).toMatch(/^draftbridge_llm_circuit_open\{route="local"\} 0$/m);
  });
});
