import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';

/** The smaller holes of issue 34: query secrets, forged client addresses, framing, CSRF, viewer leaks. */
const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const DV_KEY = 'dataverse-webhook-key-SECRET-42';
const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

async function start(
  env: Record<string, string> = {},
): Promise<{ ctx: AppContext; app: FastifyInstance; logs: string[]; stop(): Promise<void> }> {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _e, cb) => (logs.push(String(chunk)), cb()) });
  const settings = testSettings({
    DRAFTBRIDGE_VIEWER_TOKEN: VIEWER,
    DRAFTBRIDGE_OPERATOR_TOKEN: OPERATOR,
    DATAVERSE_WEBHOOK_KEY: DV_KEY,
    LOG_LEVEL: 'debug',
    ...env,
  });
  const ctx = createAppContext(settings, defaultPolicy(), { logger: createLogger({ level: 'debug' }, sink) });
  await ctx.ready();
  const app = await buildServer(ctx, [
    async (a) => void a.get('/test/ip', async (request) => ({ ip: request.ip })),
  ]);
  return {
    ctx,
    app,
    logs,
    async stop() {
      await app.close();
      await ctx.close();
      await deletePrefix(settings.DRAFTBRIDGE_QUEUE_PREFIX, settings.REDIS_URL);
    },
  };
}

describe('HTTP hardening', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(() => t.stop());

  it('never echoes or logs a ?code= key, on any route or 404', async () => {
    for (const url of [
      `/webhooks/dynamics/other?code=${DV_KEY}`,
      `/nope?x=1&code=${DV_KEY}`,
      `/webhooks/dynamics?code=${DV_KEY}`,
    ]) {
      const res = await t.app.inject({ method: url.includes('other') ? 'POST' : 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain(DV_KEY);
      expect(res.json()).toMatchObject({ code: 'not_found' });
    }
    const posted = await t.app.inject({
      method: 'POST',
      url: `/webhooks/dynamics?code=wrong-${DV_KEY}`,
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(posted.statusCode).toBe(401);
    const lines = t.logs.join('');
    expect(lines).toContain('code=[redacted]');
    expect(lines).not.toContain(DV_KEY);
  });

  it('believes X-Forwarded-For only from DRAFTBRIDGE_TRUSTED_PROXIES', async () => {
    const forged = await t.app.inject({
      url: '/test/ip',
      headers: { 'x-forwarded-for': '203.0.113.66' },
      remoteAddress: '198.51.100.7',
    });
    expect(forged.json().ip).toBe('198.51.100.7');
    const proxied = await start({ DRAFTBRIDGE_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' });
    try {
      expect(
        (
          await proxied.app.inject({
            url: '/test/ip',
            headers: { 'x-forwarded-for': '203.0.113.66' },
            remoteAddress: '10.1.2.3',
          })
        ).json().ip,
      ).toBe('203.0.113.66');
      expect(
        (
          await proxied.app.inject({
            url: '/test/ip',
            headers: { 'x-forwarded-for': '203.0.113.66' },
            remoteAddress: '198.51.100.7',
          })
        ).json().ip,
      ).toBe('198.51.100.7');
    } finally {
      await proxied.stop();
    }
  });

  it('sends Bearer and Basic challenges as two WWW-Authenticate headers', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toEqual([
      'Bearer realm="draftbridge"',
      'Basic realm="draftbridge", charset="UTF-8"',
    ]);
  });

  it('sends nosniff, no-referrer and no-framing headers on /ops and every Bull Board page', async () => {
    for (const url of ['/ops', '/ops/queues', '/ops/queues/api/queues', '/ops/queues/manage']) {
      const res = await t.app.inject({
        url,
        headers: { authorization: `Bearer ${url.includes('manage') ? OPERATOR : VIEWER}` },
      });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(String(res.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
    }
  });

  it('keeps Redis details and scheduler templates from viewers', async () => {
    for (const url of [
      '/ops/queues/api/redis/stats',
      '/ops/queues/api/job-schedulers',
      '/ops/queues/api/queues/intake/workers',
    ]) {
      const res = await t.app.inject({ url, headers: { authorization: `Bearer ${VIEWER}` } });
      expect(res.statusCode, url).toBe(403);
      expect(res.body).not.toMatch(/redis_version|os|tcp_port/i);
    }
    const op = await t.app.inject({
      url: '/ops/queues/manage/api/redis/stats',
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(op.statusCode).toBe(200);
  });

  it('refuses a cross-site Bull Board action made with the browser’s own credential (Basic)', async () => {
    const url = '/ops/queues/manage/api/queues/draft/pause';
    const forged = await t.app.inject({
      method: 'PUT',
      url,
      headers: {
        authorization: basic(OPERATOR),
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'csrf' });
    expect(await t.ctx.queues.draft.isPaused()).toBe(false);
    const own = await t.app.inject({
      method: 'PUT',
      url,
      headers: {
        authorization: basic(OPERATOR),
        origin: t.ctx.settings.publicUrl,
        'sec-fetch-site': 'same-origin',
      },
    });
    expect(own.statusCode).toBeLessThan(300);
    expect(await t.ctx.queues.draft.isPaused()).toBe(true);
    await t.ctx.queues.draft.resume();
  });

  it('looks ?notice= up as an own key only', async () => {
    for (const notice of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await t.app.inject({
        url: `/ops?notice=${notice}`,
        headers: { authorization: `Bearer ${VIEWER}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('id="notice"');
      expect(res.body).not.toContain('[native code]');
    }
    const known = await t.app.inject({
      url: '/ops?notice=retried',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(known.body).toContain('id="notice"');
  });
});

describe('webhook log hints', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    t = await start({ DRAFTBRIDGE_PUBLIC_URL: 'https://draftbridge.example.com' });
  });
  afterAll(() => t.stop());

  const warnings = () =>
    t.logs.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'warn');

  it('a bad HubSpot signature is a warn line naming HUBSPOT_CLIENT_SECRET and DRAFTBRIDGE_PUBLIC_URL', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      payload: '[]',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': String(Date.now()),
        'x-hubspot-signature-v3': 'bm9wZQ==',
      },
    });
    expect(res.statusCode).toBe(401);
    expect(
      warnings().some(
        (l) => l.msg.includes('HUBSPOT_CLIENT_SECRET') && l.msg.includes('DRAFTBRIDGE_PUBLIC_URL'),
      ),
    ).toBe(true);
  });

  it('a Dataverse delivery with a wrong key is a warn line naming DATAVERSE_WEBHOOK_KEY', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/dynamics?code=wrong',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(warnings().some((l) => l.msg.includes('DATAVERSE_WEBHOOK_KEY'))).toBe(true);
  });
});
