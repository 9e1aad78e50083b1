import type { FastifyInstance } from 'fastify';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_USERS, startOidcSimulator, type OidcSimulator } from '../../sandbox/oidc/simulator.ts';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { privacyRoutes } from '../../src/http/privacy-routes.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedis } from '../../src/redis.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';

const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  dpo: 'dpo-token-0123456789abcdef',
  legacy: 'legacy-ops-token-0123456789',
};

type CallerRole = 'viewer' | 'operator' | 'dpo' | 'none';

/** Every guarded route with the role it declares. */
const ROUTES: {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  role: 'viewer' | 'operator' | 'dpo';
  ok: number;
  csrf?: boolean;
}[] = [
  { method: 'GET', url: '/metrics', role: 'viewer', ok: 200 },
  { method: 'GET', url: '/ops/queues', role: 'viewer', ok: 200 },
  { method: 'GET', url: '/ops/queues/api/queues', role: 'viewer', ok: 200 },
  { method: 'GET', url: '/ops/queues/manage', role: 'operator', ok: 200 },
  { method: 'GET', url: '/ops/queues/manage/api/queues', role: 'operator', ok: 200 },
  { method: 'PUT', url: '/ops/queues/manage/api/queues/draft/retry/failed', role: 'operator', ok: 200 },
  { method: 'PUT', url: '/ops/queues/manage/api/queues/draft/promote', role: 'operator', ok: 200 },
  { method: 'GET', url: '/ops', role: 'viewer', ok: 200 },
  // Basic auth is sent by browsers on their own: without the form's CSRF token that is 403 too.
  { method: 'POST', url: '/ops/dead-letters/hs-1-1-1001/retry', role: 'operator', ok: 404, csrf: true },
  { method: 'GET', url: '/privacy/ropa', role: 'dpo', ok: 200 },
  { method: 'GET', url: '/privacy/compliance', role: 'dpo', ok: 200 },
  { method: 'POST', url: '/privacy/subjects/1001/access', role: 'dpo', ok: 200 },
];

function allowed(caller: CallerRole, role: 'viewer' | 'operator' | 'dpo'): boolean {
  if (caller === 'none') return false;
  if (role === 'viewer') return caller === 'viewer' || caller === 'operator';
  return caller === role;
}

describe('roles: viewer < operator, dpo apart; 401 without a valid credential, 403 with the wrong role', () => {
  let oidc: OidcSimulator;
  let ctx: AppContext;
  let app: FastifyInstance;
  const oidcTokens: Record<CallerRole, string> = { viewer: '', operator: '', dpo: '', none: '' };
  const warnings: string[] = [];

  beforeAll(async () => {
    oidc = await startOidcSimulator();
    const settings = testSettings({
      DRAFTBRIDGE_VIEWER_TOKEN: TOKENS.viewer,
      DRAFTBRIDGE_OPERATOR_TOKEN: TOKENS.operator,
      DRAFTBRIDGE_DPO_TOKEN: TOKENS.dpo,
      DRAFTBRIDGE_OPS_TOKEN: TOKENS.legacy,
      DRAFTBRIDGE_OIDC_ISSUER: oidc.issuer,
      DRAFTBRIDGE_OIDC_AUDIENCE: oidc.audience,
      LOG_LEVEL: 'warn',
    });
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    ctx = createAppContext(settings, defaultPolicy(), { logger });
    app = await buildServer(ctx, [async (a) => a.register(privacyRoutes(ctx))]);
    await ctx.ready();
    const [viewer, operator, dpo, none] = OIDC_USERS;
    oidcTokens.viewer = await oidc.issueToken({ user: viewer });
    oidcTokens.operator = await oidc.issueToken({ user: operator });
    oidcTokens.dpo = await oidc.issueToken({ user: dpo });
    oidcTokens.none = await oidc.issueToken({ user: none });
  });

  afterAll(async () => {
    await app.close();
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await ctx.close();
    await deletePrefix(prefix);
    await oidc.close();
  });

  const call = (route: (typeof ROUTES)[number], authorization?: string) =>
    app.inject({ method: route.method, url: route.url, headers: authorization ? { authorization } : {} });

  for (const route of ROUTES) {
    it(`${route.method} ${route.url} needs ${route.role}`, async () => {
      expect((await call(route)).statusCode).toBe(401);
      expect((await call(route, 'Bearer not-a-known-token-000000')).statusCode).toBe(401);
      for (const caller of ['viewer', 'operator', 'dpo'] as const) {
        const expected = allowed(caller, route.role) ? route.ok : 403;
        expect((await call(route, `Bearer ${TOKENS[caller]}`)).statusCode, `static ${caller}`).toBe(expected);
        expect((await call(route, `Bearer ${oidcTokens[caller]}`)).statusCode, `oidc ${caller}`).toBe(
          expected,
        );
        const basic = Buffer.from(`any:${TOKENS[caller]}`).toString('base64');
        expect((await call(route, `Basic ${basic}`)).statusCode, `basic ${caller}`).toBe(
          route.csrf ? 403 : expected,
        );
      }
      expect((await call(route, `Bearer ${oidcTokens.none}`)).statusCode, 'oidc without app roles').toBe(403);
      expect((await call(route, `Bearer ${TOKENS.legacy}`)).statusCode, 'legacy ops token').toBe(
        allowed('viewer', route.role) ? route.ok : 403,
      );
    });
  }

  it('the boards show job data through the ids-and-codes formatter', async () => {
    // A future job that carried more than ids must still not show it.
    await ctx.queues.draft.add('draft', {
      requestId: 'req-board-1',
      note: 'Erika Musterfrau, erika@example.com',
    } as never);
    for (const base of ['/ops/queues', '/ops/queues/manage']) {
      const res = await app.inject({
        url: `${base}/api/queues?activeQueue=draft&status=waiting&page=1`,
        headers: { authorization: `Bearer ${TOKENS.operator}` },
      });
      expect(res.statusCode).toBe(200);
      const draft = res.json().queues.find((q: { name: string }) => q.name === 'draft');
      const job = draft.jobs.find((j: { id: string }) => j.id !== undefined);
      expect(job.data).toEqual({ requestId: 'req-board-1', withheldFields: 1 });
      expect(res.body).not.toContain('Musterfrau');
      expect(res.body).not.toContain('erika@example.com');
    }
  });

  it('the boards withhold failure text and stack traces that are not bare codes', async () => {
    const job = await ctx.queues.deliver.add('deliver', { requestId: 'req-board-2' }, { attempts: 1 });
    // Fail it the way a worker does: take it with a lock token, then move it to failed.
    const connection = createRedis(ctx.settings.REDIS_URL, 'worker');
    const worker = new Worker('deliver', null, {
      connection,
      prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX,
      autorun: false,
    });
    const taken = await worker.getNextJob('test-token');
    expect(taken?.id).toBe(job.id);
    await taken!.moveToFailed(new Error('could not reach erika@example.com'), 'test-token', false);
    await worker.close();
    connection.disconnect();
    expect(await ctx.queues.deliver.getJobState(job.id!)).toBe('failed');
    const res = await app.inject({
      url: '/ops/queues/api/queues?activeQueue=deliver&status=failed&page=1',
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('req-board-2');
    expect(res.body).toContain('[withheld');
    expect(res.body).not.toContain('erika@example.com');
    const detail = await app.inject({
      url: `/ops/queues/manage/api/queues/deliver/${job.id}`,
      headers: { authorization: `Bearer ${TOKENS.operator}` },
    });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().job.stacktrace).toEqual([]);
    expect(detail.body).not.toContain('erika@example.com');
  });

  it('healthz and readyz stay open', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('warns once that DRAFTBRIDGE_OPS_TOKEN is deprecated', async () => {
    await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKENS.legacy}` } });
    await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKENS.legacy}` } });
    expect(warnings.filter((l) => l.includes('DRAFTBRIDGE_OPS_TOKEN is deprecated'))).toHaveLength(1);
  });

  it('the read-only board refuses changes even for operators; operators may not add or edit jobs', async () => {
    const readOnly = await app.inject({
      method: 'PUT',
      url: '/ops/queues/api/queues/draft/retry/failed',
      headers: { authorization: `Bearer ${TOKENS.operator}` },
    });
    expect(readOnly.statusCode).toBe(405);
    const add = await app.inject({
      method: 'POST',
      url: '/ops/queues/manage/api/queues/draft/add',
      headers: { authorization: `Bearer ${TOKENS.operator}` },
      payload: { name: 'x', data: {} },
    });
    expect(add.statusCode).toBe(403);
    const empty = await app.inject({
      method: 'PUT',
      url: '/ops/queues/manage/api/queues/draft/empty',
      headers: { authorization: `Bearer ${TOKENS.operator}` },
    });
    expect(empty.statusCode).toBe(403);
  });

  it('rejects expired, wrong-audience, wrong-issuer, forged and alg:none tokens with 401', async () => {
    const operator = OIDC_USERS[1]!;
    const bad = {
      expired: await oidc.issueToken({ user: operator, expiresInSeconds: -300 }),
      audience: await oidc.issueToken({ user: operator, audience: 'api://someone-else' }),
      issuer: await oidc.issueToken({
        user: operator,
        issuer: 'https://login.microsoftonline.com/another-tenant/v2.0',
      }),
      forged: await oidc.issueForgedToken(),
      none: unsignedToken({
        iss: oidc.issuer,
        aud: oidc.audience,
        sub: 'x',
        roles: ['Draftbridge.Operator'],
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
      garbage: 'a.b.c',
    };
    for (const [name, token] of Object.entries(bad)) {
      const res = await app.inject({
        url: '/ops/queues/manage/api/queues',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode, name).toBe(401);
    }
    const good = await app.inject({
      url: '/ops/queues/manage/api/queues',
      headers: { authorization: `Bearer ${await oidc.issueToken({ user: operator })}` },
    });
    expect(good.statusCode).toBe(200);
  });

  it('audits every /privacy call with the caller reference, never a name', async () => {
    await app.inject({
      method: 'POST',
      url: '/privacy/subjects/1002/access',
      headers: { authorization: `Bearer ${oidcTokens.dpo}` },
    });
    await app.inject({
      method: 'POST',
      url: '/privacy/subjects/1002/access',
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    await app.inject({
      method: 'GET',
      url: '/privacy/ropa',
      headers: { authorization: `Bearer ${TOKENS.dpo}` },
    });
    await app.inject({ method: 'GET', url: '/privacy/ropa' });
    const events = (await ctx.audit.read({})).filter((e) => e.type === 'privacy.call');
    // Audit events carry the subject sealed with its per-subject key; a subject filter finds them.
    const subject = ctx.audit.subjectRef('hubspot', 'contact', '1002');
    const aboutSubject = (await ctx.audit.read({ subject })).filter((e) => e.type === 'privacy.call');
    const byDpo = aboutSubject.find((e) => e.outcome === 'answered');
    expect(byDpo?.actor).toMatch(/^oidc:[a-f0-9]{32}$/);
    expect(aboutSubject.find((e) => e.outcome === 'forbidden')?.actor).toBe('token:viewer');
    expect(events.find((e) => e.details.action === 'ropa' && e.outcome === 'answered')?.actor).toBe(
      'token:dpo',
    );
    expect(events.find((e) => e.details.action === 'ropa' && e.outcome === 'unauthenticated')?.actor).toBe(
      'unauthenticated',
    );
    const serialised = JSON.stringify(events);
    for (const u of OIDC_USERS) {
      expect(serialised).not.toContain(u.name);
      expect(serialised).not.toContain(u.username);
      expect(serialised).not.toContain(u.id);
    }
  });
});

function unsignedToken(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}
