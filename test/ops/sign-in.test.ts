import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_USERS, startOidcSimulator, type OidcSimulator } from '../../connectors/oidc/simulator.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/** The code flow over app.inject and the simulator's real endpoints (the browser test does it in Chromium). */
describe('browser sign-in: authorization code with PKCE', () => {
  let oidc: OidcSimulator;
  let running: TestApp;
  let app: FastifyInstance;

  beforeAll(async () => {
    oidc = await startOidcSimulator();
    running = await startTestApp({ DRAFTBRIDGE_OIDC_ISSUER: oidc.issuer, DRAFTBRIDGE_OIDC_AUDIENCE: oidc.audience, DRAFTBRIDGE_OIDC_CLIENT_ID: oidc.clientId, DRAFTBRIDGE_OIDC_CLIENT_SECRET: oidc.clientSecret });
    app = running.app;
  });
  afterAll(async () => {
    await running.stop();
    await oidc.close();
  });

  const cookieOf = (setCookie: string | string[] | undefined, name: string) => [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`));

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
    const picked = await fetch(authorizeUrl.origin + authorizeUrl.pathname, { method: 'POST', body: form, redirect: 'manual' });
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
    const page = await app.inject({ url: '/ops', headers: { cookie: session.split(';')[0]!, accept: 'text/html' } });
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
    expect((await app.inject({ url: `${wrongState.pathname}${wrongState.search}`, headers: { cookie } })).statusCode).toBe(400);
    const second = await authorize('/ops');
    expect((await app.inject({ url: `${second.callback.pathname}${second.callback.search}` })).statusCode).toBe(400);
    const ok = await app.inject({ url: `${second.callback.pathname}${second.callback.search}`, headers: { cookie: second.cookie } });
    expect(ok.statusCode).toBe(303);
    const replay = await app.inject({ url: `${second.callback.pathname}${second.callback.search}`, headers: { cookie: second.cookie } });
    expect(replay.statusCode).toBe(400);
    // A session cookie edited to claim the dpo role no longer verifies.
    const session = cookieOf(ok.headers['set-cookie'], 'draftbridge_session')!.split(';')[0]!;
    const [name, value] = [session.slice(0, session.indexOf('=')), decodeURIComponent(session.slice(session.indexOf('=') + 1))];
    const [payload, signature] = [value.slice(0, value.lastIndexOf('.')), value.slice(value.lastIndexOf('.') + 1)];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['dpo'] })).toString('base64url');
    const res = await app.inject({ url: '/ops', headers: { cookie: `${name}=${encodeURIComponent(`${forged}.${signature}`)}` } });
    expect(res.statusCode).toBe(401);
  });

  it('a session signed in without an app role is refused the page with 403', async () => {
    const { callback, cookie } = await authorize('/ops', OIDC_USERS[3]);
    const res = await app.inject({ url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    const session = cookieOf(res.headers['set-cookie'], 'draftbridge_session')!.split(';')[0]!;
    expect((await app.inject({ url: '/ops', headers: { cookie: session } })).statusCode).toBe(403);
  });
});
