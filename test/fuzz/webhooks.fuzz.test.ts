import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { signV3 } from '../../connectors/hubspot/signature.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';
import { distinctiveStrings, FUZZ_TIMEOUT, fuzzParams, logSink, personalString } from './support.ts';

/**
 * Property tests on the webhook routes: whatever arrives, the process answers with a documented
 * status, keeps serving, and never writes an input value into a log line.
 */
const SECRET = 'test-client-secret-0000';
const PUBLIC = 'https://draftbridge.example.com';
const CLIENT_STATE = 'fuzz-client-state-0123456789';
// HubSpot routes: 204 taken, 400 shape, 401 signature, 413 size, 503 Redis down.
const HUBSPOT_STATUSES = [204, 400, 401, 413, 503];
// Graph: 200 validation handshake, 202 taken (or forged, silently), 400 shape, 413 size, 415 not JSON, 503.
const GRAPH_STATUSES = [200, 202, 400, 413, 415, 503];

function signedHeaders(path: string, body: string | Buffer) {
  const timestamp = Date.now();
  return {
    'content-type': 'application/json',
    'x-hubspot-request-timestamp': String(timestamp),
    'x-hubspot-signature-v3': signV3({
      secret: SECRET,
      method: 'POST',
      uri: `${PUBLIC}${path}`,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      timestamp,
    }),
  };
}

const eventLike = fc.record(
  {
    eventId: fc.oneof(fc.nat(), fc.string(), fc.constant(-1)),
    subscriptionId: fc.oneof(fc.nat(), fc.string()),
    portalId: fc.oneof(fc.nat(), fc.stringMatching(/^\d{1,8}$/)),
    occurredAt: fc.oneof(fc.nat(), fc.double(), fc.string()),
    subscriptionType: fc.oneof(
      fc.constantFrom(
        'contact.propertyChange',
        'contact.creation',
        'contact.privacyDeletion',
        'contact.deletion',
        'object.propertyChange',
      ),
      fc.string(),
    ),
    attemptNumber: fc.nat(),
    objectId: fc.oneof(fc.nat(), fc.stringMatching(/^\d{1,12}$/), fc.string()),
    objectTypeId: fc.constantFrom('0-1', '0-2'),
    propertyName: fc.oneof(fc.constantFrom('callback_requested', 'firstname', 'email'), fc.string()),
    propertyValue: fc.oneof(personalString, fc.constant('true'), fc.boolean(), fc.integer()),
    changeSource: fc.oneof(personalString, fc.constant('CRM')),
  },
  { requiredKeys: [] },
);

describe('fuzz: webhook routes', { timeout: FUZZ_TIMEOUT }, () => {
  let ctx: AppContext;
  let app: FastifyInstance;
  const logs = logSink();
  beforeAll(async () => {
    ctx = createAppContext(
      testSettings({ DRAFTBRIDGE_PUBLIC_URL: PUBLIC, GRAPH_CLIENT_STATE: CLIENT_STATE, LOG_LEVEL: 'debug' }),
      defaultPolicy(),
      { logger: createLogger({ level: 'debug' }, logs.sink) },
    );
    await ctx.ready();
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    await app.close();
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await ctx.close();
    await deletePrefix(prefix);
  });

  const noEcho = (input: unknown, from: number) => {
    const written = logs.lines.slice(from).join('');
    for (const s of distinctiveStrings(input))
      expect(
        written.includes(s),
        `log echoed an input value (${s.length} chars): ${process.env.FUZZ_DEBUG ? written : ''}`,
      ).toBe(false);
  };

  it('POST /webhooks/hubspot: arbitrary bytes, unsigned → 401 (or 413), never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
        async (bytes, type) => {
          const res = await app.inject({
            method: 'POST',
            url: '/webhooks/hubspot',
            payload: Buffer.from(bytes),
            headers: { 'content-type': type },
          });
          expect([401, 413]).toContain(res.statusCode);
        },
      ),
      fuzzParams(60),
    );
  });

  it('POST /webhooks/hubspot: arbitrary bytes, signed → 400 (or 204/413), never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const body = Buffer.from(bytes);
        const res = await app.inject({
          method: 'POST',
          url: '/webhooks/hubspot',
          payload: body,
          headers: signedHeaders('/webhooks/hubspot', body),
        });
        expect(HUBSPOT_STATUSES).toContain(res.statusCode);
        expect(res.statusCode).not.toBe(401);
      }),
      fuzzParams(60),
    );
  });

  it('POST /webhooks/hubspot: arbitrary JSON and event-like batches, signed → 204 or 400, no input value in a log line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.array(eventLike, { minLength: 0, maxLength: 5 }),
          fc.array(fc.dictionary(personalString, fc.jsonValue()), { maxLength: 3 }),
        ),
        async (json) => {
          const from = logs.lines.length;
          const body = JSON.stringify(json) ?? 'null';
          const res = await app.inject({
            method: 'POST',
            url: '/webhooks/hubspot',
            payload: body,
            headers: signedHeaders('/webhooks/hubspot', body),
          });
          expect([204, 400]).toContain(res.statusCode);
          noEcho(json, from);
        },
      ),
      fuzzParams(150),
    );
  });

  it('POST /webhooks/hubspot: arbitrary JSON with a wrong or missing signature → 401, no input value in a log line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.option(fc.string(), { nil: undefined }),
        async (json, signature) => {
          const from = logs.lines.length;
          const body = JSON.stringify(json) ?? 'null';
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'x-hubspot-request-timestamp': String(Date.now()),
          };
          if (signature !== undefined) headers['x-hubspot-signature-v3'] = signature;
          const res = await app.inject({ method: 'POST', url: '/webhooks/hubspot', payload: body, headers });
          expect(res.statusCode).toBe(401);
          noEcho(json, from);
        },
      ),
      fuzzParams(60),
    );
  });

  it('POST /webhooks/hubspot/workflow: arbitrary JSON, signed → 204 or 400, no input value in a log line', async () => {
    const delivery = fc.record(
      {
        objectId: fc.oneof(fc.nat(), fc.string()),
        vid: fc.nat(),
        portalId: fc.oneof(fc.nat(), fc.string()),
        properties: fc.dictionary(
          fc.string(),
          fc.oneof(personalString, fc.record({ value: personalString })),
        ),
        email: personalString,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), delivery),
        fc.constantFrom('', '?flow=callback', '?flow=nope', '?portalId=x'),
        async (json, query) => {
          const from = logs.lines.length;
          const body = JSON.stringify(json) ?? 'null';
          const path = `/webhooks/hubspot/workflow${query}`;
          const res = await app.inject({
            method: 'POST',
            url: path,
            payload: body,
            headers: signedHeaders(path, body),
          });
          expect([204, 400]).toContain(res.statusCode);
          noEcho(json, from);
        },
      ),
      fuzzParams(100),
    );
  });

  it('POST /webhooks/graph: arbitrary notifications and bytes → a documented status, no input value in a log line', async () => {
    const notification = fc.record(
      {
        subscriptionId: fc.oneof(fc.uuid(), fc.string()),
        clientState: fc.oneof(fc.constant(CLIENT_STATE), fc.string(), fc.constant(null)),
        changeType: fc.oneof(fc.constantFrom('created', 'updated', 'deleted'), fc.string()),
        lifecycleEvent: fc.constantFrom('reauthorizationRequired', 'subscriptionRemoved', 'missed'),
        resource: fc.oneof(
          fc.string(),
          personalString.map((p) => `Users/${p}/Messages/AAMk`),
        ),
        resourceData: fc.record(
          { id: fc.string(), '@odata.type': fc.constant('#Microsoft.Graph.Message') },
          { requiredKeys: [] },
        ),
        tenantId: fc.uuid(),
      },
      { requiredKeys: [] },
    );
    const payload = fc.oneof(
      fc
        .record({ value: fc.array(notification, { maxLength: 4 }) })
        .map((v) => ({ type: 'application/json', body: JSON.stringify(v), json: v as unknown })),
      fc.jsonValue().map((v) => ({ type: 'application/json', body: JSON.stringify(v) ?? 'null', json: v })),
      fc.uint8Array({ maxLength: 512 }).map((b) => ({
        type: 'application/json',
        body: Buffer.from(b).toString('latin1'),
        json: undefined as unknown,
      })),
      fc.string().map((s) => ({ type: 'text/plain', body: s, json: undefined as unknown })),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const from = logs.lines.length;
        const res = await app.inject({
          method: 'POST',
          url: '/webhooks/graph',
          payload: p.body,
          headers: { 'content-type': p.type },
        });
        expect(GRAPH_STATUSES).toContain(res.statusCode);
        noEcho(p.json, from);
      }),
      fuzzParams(150),
    );
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
  });
});
