import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_USERS, startOidcSimulator, type OidcSimulator } from '../../sandbox/oidc/simulator.ts';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

/** The code flow over app.inject and the simulator's real endpoints (the browser test does it in Chromium). */
describe('browser sign-in: authorization code with PKCE', () => {
  let oidc: OidcSimulator;
  let running: TestApp;
  let app: FastifyInstance;

  beforeAll(async () => {
    oidc = await startOidcSimulator();
    running = await startTestApp({
      DRAFTBRIDGE_OIDC_ISSUER: oidc.issuer,
      DRAFTBRIDGE_OIDC_AUDIENCE: oidc.audience,
      DRAFTBRIDGE_OIDC_CLIENT_ID: oidc.clientId,
      DRAFTBRIDGE_OIDC_CLIENT_SECRET: oidc.clientSecret,
    });
    app = running.app;
  });
  afterAll(async () => {
    await running.stop();
    await oidc.close();
  });

  const cookieOf = (setCookie: string | string[] | undefined, name: string) =>
    [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`));

  /** Starts sign-in, picks a user at the provider, returns the callback URL and the sign-in cookie. */
  async function authorize(returnTo: string, user = OIDC_USERS[1]!) {
    const login = await app.inject({ url: `/auth/login?returnTo=${encodeURIComponent(returnTo)}` });
    expect(login.statusCode).toBe(302);
    const authorizeUrl = new URL(login.headers.location as string);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const signIn = cookieOf(login.headers['set-cookie'], 'draftbridge_signin')!;
    expect(signIn).toMatch(/HttpOnly/);
    expect(signIn).toMatch(/Secure/);
    expect(signIn).toMatch(/SameSite=Lax/);
    const form = new URLSearchParams([...authorizeUrl.searchParams.entries(), ['user', user.id]]);
    const picked = await fetch(authorizeUrl.origin + authorizeUrl.pathname, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(picked.status).toBe(302);
    const callback = new URL(picked.headers.get('location')!);
    return { callback, cookie: signIn.split(';')[0]! };
  }

  it('signs in, sets a session cookie HttpOnly; Secure; SameSite=Lax and returns to the local page', async () => {
    const { callback, cookie } = await authorize('/ops');
    const res = await app.inject({ url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/ops');
    const session = cookieOf(res.headers['set-cookie'], 'draftbridge_session')!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Lax/);
    const page = await app.inject({
      url: '/ops',
      headers: { cookie: session.split(';')[0]!, accept: 'text/html' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as operator (session)');
    expect(page.body).not.toContain(OIDC_USERS[1]!.name);
  });

  it('never redirects off-site after sign-in', async () => {
    const { callback, cookie } = await authorize('//evil.example/steal');
    const res = await app.inject({ url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    expect(res.headers.location).toBe('/ops');
  });

  it('refuses a callback with a foreign state, without the sign-in cookie, a replayed code or a tampered session', async () => {
    const { callback, cookie } = await authorize('/ops');
    const wrongState = new URL(callback);
    wrongState.searchParams.set('state', 'not-the-state-we-sent-0000');
    expect(
      (await app.inject({ url: `${wrongState.pathname}${wrongState.search}`, headers: { cookie } }))
        .statusCode,
    ).toBe(400);
    const second = await authorize('/ops');
    expect(
      (await app.inject({ url: `${second.callback.pathname}${second.callback.search}` })).statusCode,
    ).toBe(400);
    const ok = await app.inject({
      url: `${second.callback.pathname}${second.callback.search}`,
      headers: { cookie: second.cookie },
    });
    expect(ok.statusCode).toBe(303);
    const replay = await app.inject({
      url: `${second.callback.pathname}${second.callback.search}`,
      headers: { cookie: second.cookie },
    });
    expect(replay.statusCode).toBe(400);
    // A session cookie edited to claim the dpo role no longer verifies.
    const session = cookieOf(ok.headers['set-cookie'], 'draftbridge_session')!.split(';')[0]!;
    const [name, value] = [
      session.slice(0, session.indexOf('=')),
      decodeURIComponent(session.slice(session.indexOf('=') + 1)),
    ];
    const [payload, signature] = [
      value.slice(0, value.lastIndexOf('.')),
      value.slice(value.lastIndexOf('.') + 1),
    ];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['dpo'] })).toString('base64url');
    const res = await app.inject({
      url: '/ops',
      headers: { cookie: `${name}=${encodeURIComponent(`${forged}.${signature}`)}` },
    });
    expect(res.statusCode).toBe(401);
  });

  it('a session signed in without an app role is refused the page with 403', async () => {
    const { callback, cookie } = await authorize('/ops', OIDC_USERS[3]);
    const res = await app.inject({ url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    const session = cookieOf(res.headers['set-cookie'], 'draftbridge_session')!.split(';')[0]!;
    expect((await app.inject({ url: '/ops', headers: { cookie: session } })).statusCode).toBe(403);
  });
});

describe('the sandbox serves its identity provider in-process under /sandbox/oidc', () => {
  it('signs in through the mounted simulator, reachable wherever the service is', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const oidc = await startOidcSimulator({ mountedAt: `${publicUrl}/sandbox/oidc` });
    expect(oidc.issuer.startsWith(`${publicUrl}/sandbox/oidc/`)).toBe(true);
    const ctx = createAppContext(
      testSettings({
        DRAFTBRIDGE_PUBLIC_URL: publicUrl,
        DRAFTBRIDGE_OIDC_ISSUER: oidc.issuer,
        DRAFTBRIDGE_OIDC_AUDIENCE: oidc.audience,
        DRAFTBRIDGE_OIDC_CLIENT_ID: oidc.clientId,
        DRAFTBRIDGE_OIDC_CLIENT_SECRET: oidc.clientSecret,
      }),
      defaultPolicy(),
    );
    const app = await buildServer(ctx, [async (a) => a.register(oidc.plugin!, { prefix: '/sandbox/oidc' })]);
    await app.listen({ port, host: '127.0.0.1' });
    try {
      const login = await fetch(`${publicUrl}/auth/login?returnTo=/ops`, { redirect: 'manual' });
      const authorizeUrl = new URL(login.headers.get('location')!);
      expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(
        `${publicUrl}/sandbox/oidc/${oidc.tenantId}/oauth2/v2.0/authorize`,
      );
      const signIn = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const page = await (await fetch(authorizeUrl)).text();
      const action = page.match(/action="([^"]+)"/)![1]!;
      const picked = await fetch(action, {
        method: 'POST',
        body: new URLSearchParams([...authorizeUrl.searchParams.entries(), ['user', OIDC_USERS[0]!.id]]),
        redirect: 'manual',
      });
      const callback = await fetch(picked.headers.get('location')!, {
        headers: { cookie: signIn },
        redirect: 'manual',
      });
      expect(callback.status).toBe(303);
      const session = callback.headers
        .getSetCookie()
        .find((c) => c.startsWith('draftbridge_session='))!
        .split(';')[0]!;
      const ops = await fetch(`${publicUrl}/ops`, { headers: { cookie: session } });
      expect(ops.status).toBe(200);
      expect(await ops.text()).toContain('Signed in as viewer (session)');
      // Bearer tokens from the mounted provider verify too (JWKS fetched from the service itself).
      const bearer = await fetch(`${publicUrl}/metrics`, {
        headers: { authorization: `Bearer ${await oidc.issueToken({ user: OIDC_USERS[0] })}` },
      });
      expect(bearer.status).toBe(200);
    } finally {
      await app.close();
      const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
      await ctx.close();
      await deletePrefix(prefix);
    }
  });
});
