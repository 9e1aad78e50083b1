import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.ts';
import { signV3 } from '../../connectors/hubspot/signature.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';

const SECRET = 'test-client-secret-0000';
const PUBLIC = 'https://draftbridge.example.com';

/** The HTTP API with every log line captured. */
async function start(env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const settings = testSettings({
    DRAFTBRIDGE_PUBLIC_URL: PUBLIC,
    GRAPH_CLIENT_STATE: 'client-state-0123456789',
    ...env,
  });
  const ctx = createAppContext(settings, defaultPolicy(), { logger: createLogger({ level: 'info' }, sink) });
  const app = await buildServer(ctx);
  await ctx.ready();
  return { ctx, app, lines };
}

describe('HTTP surface', () => {
  let running: Awaited<ReturnType<typeof start>> | undefined;
  afterEach(async () => {
    if (!running) return;
    await running.app.close();
    const prefix = running.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await running.ctx.close();
    await deletePrefix(prefix);
    running = undefined;
  });

  it('keeps a short plain X-Request-Id and replaces anything else before it reaches a log line', async () => {
    running = await start();
    const { app, lines } = running;
    await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42.a_b' } });
    await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'x'.repeat(6000) } });
    await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'Erika Musterfrau <erika@example.com>' },
    });
    const ids = [...new Set(lines.map((l) => l.reqId).filter(Boolean))] as string[];
    expect(ids).toContain('trace-42.a_b');
    expect(ids).toHaveLength(3);
    for (const id of ids.filter((i) => i !== 'trace-42.a_b')) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const all = JSON.stringify(lines);
    expect(all).not.toContain('xxxxxxxxxx');
    expect(all).not.toContain('erika');
  });

  it('audits rejected deliveries with codes, without a personal-data alarm', async () => {
    running = await start({ DRAFTBRIDGE_WORKFLOW_SECRET: 'workflow-shared-secret-1' });
    const { app, ctx, lines } = running;
    const event = {
      eventId: 1,
      subscriptionId: 1,
      portalId: 62515,
      occurredAt: Date.now(),
      subscriptionType: 'contact.creation',
      objectId: 1,
    };
    const body = JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ ...event, eventId: i + 1 })));
    const ts = Date.now();
    const tooMany = await app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': String(ts),
        'x-hubspot-signature-v3': signV3({
          secret: SECRET,
          method: 'POST',
          uri: `${PUBLIC}/webhooks/hubspot`,
          body,
          timestamp: ts,
        }),
      },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toContain('more than 1000 events');
    const wrongSecret = await app.inject({
      method: 'POST',
      url: '/webhooks/hubspot/workflow',
      payload: '{}',
      headers: {
        'content-type': 'application/json',
        'x-draftbridge-workflow-secret': 'Erika Musterfrau erika@example.com',
      },
    });
    expect(wrongSecret.statusCode).toBe(401);
    const unsigned = await app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      payload: '[]',
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(401);

    const audit = await ctx.audit.read();
    expect(audit.map((e) => e.details.code)).toEqual([
      'invalid_payload',
      'workflow_secret_mismatch',
      'no_signature',
    ]);
    expect(JSON.stringify(audit)).not.toContain('[removed');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(await ctx.audit.verify()).toMatchObject({ ok: true });
  });

  it('echoes the Graph validation token as plain text with nosniff', async () => {
    running = await start();
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 1234';
    const res = await running.app.inject({
      method: 'POST',
      url: `/webhooks/graph?validationToken=${encodeURIComponent(token)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(token);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it("keeps the logger's own name on every line and still censors nested names", async () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info' },
      new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    );
    logger.info({ owner: { name: 'Max Vertrieb' } }, 'hello');
    const line = JSON.parse(lines[0]!) as { name: string; owner: { name: string } };
    expect(line.name).toBe('draftbridge');
    expect(line.owner.name).toBe('[redacted]');
  });
});
