import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { signV1, signV2, signV3 } from '../../connectors/hubspot/signature.ts';
import { buildServer } from '../../src/http/server.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';
import { DisposableRedis } from '../support/redis-server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const SECRET = 'test-client-secret-0000';
const PUBLIC = 'https://draftbridge.example.com';

let eventCounter = 1000;
function callbackEvent(overrides: Record<string, unknown> = {}) {
  eventCounter++;
  return {
    eventId: eventCounter,
    subscriptionId: 25,
    portalId: 62515,
    appId: 1160452,
    occurredAt: Date.now(),
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 5000 + eventCounter,
    changeSource: 'CRM',
    propertyName: 'callback_requested',
    propertyValue: 'true',
    ...overrides,
  };
}

function signed(body: string, path = '/webhooks/hubspot', timestamp = Date.now()) {
  return {
    method: 'POST' as const,
    url: path,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': String(timestamp),
      'x-hubspot-signature-v3': signV3({
        secret: SECRET,
        method: 'POST',
        uri: `${PUBLIC}${path}`,
        body,
        timestamp,
      }),
    },
  };
}

describe('POST /webhooks/hubspot', () => {
  let ctx: AppContext;
  let app: FastifyInstance;
  let running: TestApp;
  beforeEach(async () => {
    running = await startTestApp({ DRAFTBRIDGE_PUBLIC_URL: PUBLIC });
    ({ ctx, app } = running);
  });
  afterEach(() => running.stop());

  const intakeCount = () =>
    ctx.queues.intake.getJobCountByTypes(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
      'prioritized',
    );

  it('turns one matching event into one intake job carrying ids only', async () => {
    const event = callbackEvent();
    const res = await app.inject(signed(JSON.stringify([event])));
    expect(res.statusCode).toBe(204);
    const jobs = await ctx.queues.intake.getJobs(['waiting']);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.id).toBe(`hs-62515-${event.eventId}-${event.objectId}`);
    expect(jobs[0]!.data).toMatchObject({
      flow: 'callback',
      contactId: String(event.objectId),
      account: '62515',
      objectType: 'contact',
      source: 'hubspot.app',
    });
    expect(Object.keys(jobs[0]!.data).sort()).toEqual([
      'account',
      'contactId',
      'eventId',
      'flow',
      'objectType',
      'occurredAt',
      'receivedAt',
      'requestId',
      'source',
    ]);
    const audit = await ctx.audit.read();
    expect(audit.map((e) => e.type)).toEqual(['webhook.accepted']);
  });

  it('gives one job for the same event delivered twice (HubSpot retry with a new attempt number)', async () => {
    const event = callbackEvent();
    expect((await app.inject(signed(JSON.stringify([event])))).statusCode).toBe(204);
    expect((await app.inject(signed(JSON.stringify([{ ...event, attemptNumber: 1 }])))).statusCode).toBe(204);
    expect(await intakeCount()).toBe(1);
    expect((await ctx.audit.read()).map((e) => e.outcome)).toEqual(['accepted', 'duplicate']);
  });

  it('gives 100 jobs for a batch of 100, and counts events that match no trigger as ignored', async () => {
    const batch = Array.from({ length: 100 }, () => callbackEvent());
    const noise = [
      callbackEvent({ propertyName: 'lifecyclestage', propertyValue: 'lead' }),
      callbackEvent({ propertyValue: 'false' }),
    ];
    const res = await app.inject(signed(JSON.stringify([...batch, ...noise])));
    expect(res.statusCode).toBe(204);
    expect(await intakeCount()).toBe(100);
    const [event] = await ctx.audit.read();
    expect(event!.details).toMatchObject({ enqueued: 100, ignored: 2, duplicates: 0 });
  });

  it('starts the new-lead flow from contact.creation and from the generic object.creation of contacts', async () => {
    const a = callbackEvent({
      subscriptionType: 'contact.creation',
      propertyName: undefined,
      propertyValue: undefined,
    });
    const b = callbackEvent({
      subscriptionType: 'object.creation',
      objectTypeId: '0-1',
      propertyName: undefined,
      propertyValue: undefined,
    });
    const c = callbackEvent({
      subscriptionType: 'object.creation',
      objectTypeId: '0-3',
      propertyName: undefined,
      propertyValue: undefined,
    });
    expect((await app.inject(signed(JSON.stringify([a, b, c])))).statusCode).toBe(204);
    const jobs = await ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.flow)).toEqual(['new_lead', 'new_lead']);
  });

  it.each([
    [
      'missing signature',
      (b: string) => ({ ...signed(b), headers: { 'content-type': 'application/json' } }),
      401,
    ],
    [
      'wrong signature',
      (b: string) => {
        const r = signed(b);
        r.headers['x-hubspot-signature-v3'] = 'AAAA';
        return r;
      },
      401,
    ],
    ['stale timestamp', (b: string) => signed(b, '/webhooks/hubspot', Date.now() - 6 * 60_000), 401],
    [
      'signed for another URI',
      (b: string) => ({ ...signed(b, '/webhooks/other'), url: '/webhooks/hubspot' }),
      401,
    ],
    ['not JSON', () => signed('{not json'), 400],
    ['not an array', () => signed(JSON.stringify(callbackEvent())), 400],
    ['empty batch', () => signed('[]'), 400],
    [
      'event without objectId',
      () => signed(JSON.stringify([{ ...callbackEvent(), objectId: undefined }])),
      400,
    ],
    [
      'over 1 MB',
      () => signed(JSON.stringify([{ ...callbackEvent(), propertyValue: 'x'.repeat(1_100_000) }])),
      413,
    ],
  ])('%s → %i and no job', async (_name, build, status) => {
    const res = await app.inject(build(JSON.stringify([callbackEvent()])));
    expect(res.statusCode).toBe(status);
    expect(res.json()).toHaveProperty('error');
    expect(await intakeCount()).toBe(0);
    const [event] = await ctx.audit.read();
    expect(event!.type).toMatch(/^webhook\.rejected_/);
  });

  it('never echoes payload values in an error message', async () => {
    const res = await app.inject(
      signed(JSON.stringify([{ ...callbackEvent(), portalId: 'erika.musterfrau@example.com' }])),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('erika');
    expect(res.body).toContain('portalId');
  });
});

describe('POST /webhooks/hubspot/workflow', () => {
  let ctx: AppContext;
  let app: FastifyInstance;
  let running: TestApp;
  beforeEach(async () => {
    running = await startTestApp({
      DRAFTBRIDGE_PUBLIC_URL: PUBLIC,
      DRAFTBRIDGE_WORKFLOW_SECRET: 'workflow-shared-secret-1',
    });
    ({ ctx, app } = running);
  });
  afterEach(() => running.stop());

  it('accepts a v2-signed legacy delivery when the policy allows it, and maps it to the callback trigger', async () => {
    await running.stop();
    const policy = defaultPolicy();
    policy.webhooks.hubspot.workflowLegacySignatures = true;
    running = await startTestApp(
      { DRAFTBRIDGE_PUBLIC_URL: PUBLIC, DRAFTBRIDGE_WORKFLOW_SECRET: 'workflow-shared-secret-1' },
      policy,
    );
    ({ ctx, app } = running);
    const body = JSON.stringify({
      vid: 901,
      'portal-id': 62515,
      properties: { callback_requested: { value: 'true' }, firstname: { value: 'Erika' } },
    });
    const path = '/webhooks/hubspot/workflow';
    const res = await app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-version': 'v2',
        'x-hubspot-signature': signV2({ secret: SECRET, method: 'POST', uri: `${PUBLIC}${path}`, body }),
      },
    });
    expect(res.statusCode).toBe(204);
    const jobs = await ctx.queues.intake.getJobs(['waiting']);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data).toMatchObject({ flow: 'callback', contactId: '901', source: 'hubspot.workflow' });
    expect(JSON.stringify(jobs[0]!.data)).not.toContain('Erika');
  });

  it('accepts the shared-secret header with ?flow=, dedupes the retry, and rejects a wrong secret', async () => {
    const body = JSON.stringify({ hs_object_id: '902', email: 'lead@example.com' });
    const req = (secret: string) => ({
      method: 'POST' as const,
      url: '/webhooks/hubspot/workflow?flow=new_lead&portalId=62515',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-draftbridge-workflow-secret': secret },
    });
    expect((await app.inject(req('workflow-shared-secret-1'))).statusCode).toBe(204);
    expect((await app.inject(req('workflow-shared-secret-1'))).statusCode).toBe(204);
    expect((await app.inject(req('wrong-secret-wrong-secret'))).statusCode).toBe(401);
    const jobs = await ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.flow)).toEqual(['new_lead']);
  });

  it('rejects an unknown flow and a delivery without a contact id with 400', async () => {
    const send = (url: string, body: unknown) =>
      app.inject({
        method: 'POST',
        url,
        payload: JSON.stringify(body),
        headers: {
          'content-type': 'application/json',
          'x-draftbridge-workflow-secret': 'workflow-shared-secret-1',
        },
      });
    expect((await send('/webhooks/hubspot/workflow?flow=nope', { hs_object_id: 1 })).statusCode).toBe(400);
    expect(
      (await send('/webhooks/hubspot/workflow?flow=callback', { email: 'x@example.com' })).statusCode,
    ).toBe(400);
  });
});

describe('signature downgrades', () => {
  let ctx: AppContext;
  let app: FastifyInstance;
  let running: TestApp;
  afterEach(() => running.stop());
  const start = async (legacy: boolean) => {
    const policy = defaultPolicy();
    policy.webhooks.hubspot.workflowLegacySignatures = legacy;
    running = await startTestApp({ DRAFTBRIDGE_PUBLIC_URL: PUBLIC }, policy);
    ({ ctx, app } = running);
  };
  const legacyHeaders = (version: 'v1' | 'v2', path: string, body: string) => ({
    'content-type': 'application/json',
    'x-hubspot-signature-version': version,
    'x-hubspot-signature':
      version === 'v1'
        ? signV1({ secret: SECRET, body })
        : signV2({ secret: SECRET, method: 'POST', uri: `${PUBLIC}${path}`, body }),
  });
  const jobs = () =>
    ctx.queues.intake.getJobCountByTypes(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
      'prioritized',
    );

  it.each([true, false])(
    'app webhooks refuse v1 and v2 whatever the policy says (legacy allowed on workflows: %s)',
    async (legacy) => {
      await start(legacy);
      const body = JSON.stringify([callbackEvent()]);
      for (const version of ['v1', 'v2'] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/webhooks/hubspot',
          payload: body,
          headers: legacyHeaders(version, '/webhooks/hubspot', body),
        });
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toContain('sign with v3');
      }
      // A broken v3 signature does not fall back to a valid v1 one sent alongside.
      const both = signed(body);
      both.headers['x-hubspot-signature-v3'] = 'AAAA' + both.headers['x-hubspot-signature-v3'].slice(4);
      const mixed = await app.inject({
        ...both,
        headers: { ...both.headers, ...legacyHeaders('v1', '/webhooks/hubspot', body) },
      });
      expect(mixed.statusCode).toBe(401);
      expect(await jobs()).toBe(0);
    },
  );

  it('workflow deliveries: v1/v2 refused by default, v3 accepted', async () => {
    await start(false);
    const path = '/webhooks/hubspot/workflow';
    const body = JSON.stringify({
      vid: 903,
      'portal-id': 62515,
      properties: { callback_requested: { value: 'true' } },
    });
    for (const version of ['v1', 'v2'] as const) {
      expect(
        (
          await app.inject({
            method: 'POST',
            url: path,
            payload: body,
            headers: legacyHeaders(version, path, body),
          })
        ).statusCode,
      ).toBe(401);
    }
    expect(await jobs()).toBe(0);
    expect((await app.inject(signed(body, path))).statusCode).toBe(204);
    expect(await jobs()).toBe(1);
  });

  it('workflow deliveries with legacy allowed: a replayed v1 body maps to the same job (dedupe window)', async () => {
    await start(true);
    const path = '/webhooks/hubspot/workflow';
    const body = JSON.stringify({
      vid: 904,
      'portal-id': 62515,
      properties: { callback_requested: { value: 'true' } },
    });
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await app.inject({
            method: 'POST',
            url: path,
            payload: body,
            headers: legacyHeaders('v1', path, body),
          })
        ).statusCode,
      ).toBe(204);
    }
    expect(await jobs()).toBe(1);
  });
});

describe('Redis outage', () => {
  const redis = { server: undefined as DisposableRedis | undefined };
  afterAll(async () => redis.server?.stop());

  it('answers 503 while Redis is down, loses nothing, and accepts HubSpot’s retry once Redis is back', async () => {
    redis.server = await DisposableRedis.start();
    const ctx = createAppContext(
      testSettings({ REDIS_URL: redis.server.url, DRAFTBRIDGE_PUBLIC_URL: PUBLIC }),
      defaultPolicy(),
    );
    const app = await buildServer(ctx);
    try {
      await ctx.queues.intake.waitUntilReady();
      const event = callbackEvent();
      await redis.server.stop();
      const down = await app.inject(signed(JSON.stringify([event])));
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBeDefined();
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);

      await redis.server.start();
      let retried = await app.inject(signed(JSON.stringify([{ ...event, attemptNumber: 1 }])));
      for (let i = 0; i < 50 && retried.statusCode === 503; i++) {
        await new Promise((r) => setTimeout(r, 100)); // ioredis reconnects with backoff
        retried = await app.inject(signed(JSON.stringify([{ ...event, attemptNumber: 1 + i }])));
      }
      expect(retried.statusCode).toBe(204);
      const jobs = await ctx.queues.intake.getJobs(['waiting']);
      expect(jobs.map((j) => j.id)).toEqual([`hs-62515-${event.eventId}-${event.objectId}`]);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
