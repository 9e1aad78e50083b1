import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

describe('ops surface', () => {
  let ctx: AppContext;
  let app: FastifyInstance;
  let running: TestApp;
  const start = async (env: Record<string, string> = {}) => {
    running = await startTestApp(env);
    ({ ctx, app } = running);
  };
  afterEach(() => running.stop());

  it('answers healthz and readyz', async () => {
    await start();
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { redis: true, policy: true } });
    expect((await app.inject('/livez')).json()).toEqual({ status: 'ok' });
  });

  it('reports the dependencies on /readyz: Redis, the LLM circuits (open → degraded), CRM and mail', async () => {
    await start({
      AZURE_OPENAI_ENDPOINT: 'https://example-eu.openai.azure.com',
      AZURE_OPENAI_API_KEY: 'k',
      AZURE_OPENAI_DEPLOYMENT: 'd',
      AZURE_OPENAI_REGION: 'swedencentral',
    });
    const body = (await app.inject('/readyz')).json();
    expect(body.dependencies).toMatchObject({
      redis: { ok: true },
      llm: { eu: 'closed' },
      crm: { system: 'hubspot' },
      mail: { system: 'graph' },
    });
    await ctx.redis.set(`${ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:circuit:eu:open`, '1', 'PX', 5000);
    const degraded = await app.inject('/readyz');
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({ status: 'degraded', dependencies: { llm: { eu: 'open' } } });
  });

  it('exposes Prometheus metrics with queue counts and webhook outcomes to viewers', async () => {
    await start({ DRAFTBRIDGE_VIEWER_TOKEN: 'viewer-token-0123456789' });
    await ctx.queues.draft.add('x', { requestId: 'req-metrics-1' });
    await app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      payload: '[]',
      headers: { 'content-type': 'application/json' },
    });
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    const res = await app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer viewer-token-0123456789' },
    });
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/draftbridge_queue_jobs\{queue="draft",state="waiting"\} 1/);
    expect(res.body).toMatch(
      /draftbridge_webhook_deliveries_total\{source="hubspot.app",outcome="rejected_signature"\} \d+/,
    );
    expect(res.body).toContain('draftbridge_stage_duration_seconds');
  });

  it('never serves the dashboard without credentials', async () => {
    await start();
    expect((await app.inject('/ops/queues')).statusCode).toBe(401);
  });

  it('serves the dashboard only with the bearer token or basic auth', async () => {
    await start({
      DRAFTBRIDGE_OPS_TOKEN: 'ops-token-0123456789',
      DRAFTBRIDGE_OPS_USER: 'ops',
      DRAFTBRIDGE_OPS_PASSWORD: 'correct-horse-battery',
    });
    const anon = await app.inject('/ops/queues');
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toContainEqual(expect.stringMatching(/^Basic realm/));
    expect(
      (await app.inject({ url: '/ops/queues', headers: { authorization: 'Bearer wrong-token-0000000' } }))
        .statusCode,
    ).toBe(401);
    const bearer = await app.inject({
      url: '/ops/queues',
      headers: { authorization: 'Bearer ops-token-0123456789' },
    });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.body).toContain('<html');
    const basic = Buffer.from('ops:correct-horse-battery').toString('base64');
    const api = await app.inject({
      url: '/ops/queues/api/queues',
      headers: { authorization: `Basic ${basic}` },
    });
    expect(api.statusCode).toBe(200);
    expect(
      api
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['crm-sync', 'deliver', 'draft', 'intake', 'mail-events']);
    const wrong = Buffer.from('ops:nope').toString('base64');
    expect(
      (await app.inject({ url: '/ops/queues/api/queues', headers: { authorization: `Basic ${wrong}` } }))
        .statusCode,
    ).toBe(401);
  });
});
