import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { AppContext } from '../app.ts';
import { rolesFromClaim, SESSION_COOKIE, type Authenticator, type SessionClaims } from './access.ts';

/**
 * Browser sign-in for the ops pages: the authorization-code flow with PKCE (openid-client) against
 * DRAFTBRIDGE_OIDC_ISSUER. The flow's verifier, state and nonce wait in a short signed cookie; the
 * session afterwards is a signed cookie with the roles and the caller's HMAC reference only.
 * Routes: GET /auth/login?returnTo=/ops, GET /auth/callback, GET /auth/logout.
 */

const SIGN_IN_COOKIE = 'draftbridge_signin';
const SESSION_HOURS = 8;
const cookieBase = { httpOnly: true, secure: true, sameSite: 'lax', signed: true } as const;

const PendingSignIn = z.object({
  verifier: z.string().min(43),
  state: z.string().min(16),
  nonce: z.string().min(16),
  returnTo: z.string(),
});
type PendingSignIn = z.infer<typeof PendingSignIn>;

/** Only a local path: never an absolute or protocol-relative URL (no open redirect). */
function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : '/ops';
}

function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

export async function signInRoutes(
  app: FastifyInstance,
  opts: { ctx: AppContext; auth: Authenticator },
): Promise<void> {
  const { ctx, auth } = opts;
  const s = ctx.settings;
  if (!auth.oidc || !s.DRAFTBRIDGE_OIDC_ISSUER) {
    app.get('/auth/login', async (_request, reply) =>
      reply
        .code(404)
        .send({ error: 'sign-in is not configured (DRAFTBRIDGE_OIDC_ISSUER)', code: 'sign_in_disabled' }),
    );
    return;
  }
  const configuration = lazyDiscovery(
    s.DRAFTBRIDGE_OIDC_ISSUER,
    s.DRAFTBRIDGE_OIDC_CLIENT_ID ?? s.DRAFTBRIDGE_OIDC_AUDIENCE!,
    s.DRAFTBRIDGE_OIDC_CLIENT_SECRET,
  );
  const redirectUri = `${s.publicUrl}/auth/callback`;

  app.get('/auth/login', async (request, reply) => {
    const pending = newPendingSignIn((request.query as Record<string, unknown>).returnTo);
    const url = await authorizationUrl(await configuration(), redirectUri, pending);
    reply.setCookie(SIGN_IN_COOKIE, encodeCookieValue(pending), {
      ...cookieBase,
      path: '/auth',
      maxAge: 600,
    });
    return reply.redirect(url.toString(), 302);
  });

  app.get('/auth/callback', async (request, reply) => {
    const pending = readPendingSignIn(request);
    reply.clearCookie(SIGN_IN_COOKIE, { path: '/auth' });
    if (!pending?.success) return signInFailed(reply, 'no_pending_sign_in');
    let claims: oidc.IDToken | undefined;
    try {
      claims = await redeemCode(await configuration(), new URL(request.url, s.publicUrl), pending.data);
    } catch (err) {
      request.log.info({ reason: (err as { code?: string }).code ?? (err as Error).name }, 'sign-in refused');
      return signInFailed(reply, 'token_exchange');
    }
    if (!claims) return signInFailed(reply, 'no_id_token');
    const session = sessionFor(auth, claims);
    reply.setCookie(SESSION_COOKIE, encodeCookieValue(session), {
      ...cookieBase,
      path: '/',
      maxAge: SESSION_HOURS * 3600,
    });
    request.log.info({ actor: session.actor, roles: session.roles }, 'signed in');
    return reply.redirect(pending.data.returnTo, 303);
  });

  app.get('/auth/logout', async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><p>Signed out. <a href="/auth/login">Sign in again</a>.</p>');
  });
}

/**
 * The provider's configuration, discovered on first use rather than at start-up (the provider may be
 * down then); a failed discovery is forgotten so that the next sign-in tries again.
 */
function lazyDiscovery(
  issuer: string,
  clientId: string,
  clientSecret: string | undefined,
): () => Promise<oidc.Configuration> {
  let config: Promise<oidc.Configuration> | undefined;
  return () => {
    config ??= oidc.discovery(
      new URL(issuer),
      clientId,
      undefined,
      clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(),
      // Plain http only for a provider on this machine (the sandbox simulator).
      isLoopbackHttp(issuer) ? { execute: [oidc.allowInsecureRequests] } : {},
    );
    config.catch(() => {
      config = undefined;
    });
    return config;
  };
}

function newPendingSignIn(returnTo: unknown): PendingSignIn {
  return {
    verifier: oidc.randomPKCECodeVerifier(),
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    returnTo: safeReturnTo(returnTo),
  };
}

async function authorizationUrl(
  config: oidc.Configuration,
  redirectUri: string,
  pending: PendingSignIn,
): Promise<URL> {
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
}

/** The flow started by /auth/login, if its cookie is present, correctly signed and well formed. */
function readPendingSignIn(request: FastifyRequest) {
  const raw = request.cookies[SIGN_IN_COOKIE];
  const unsigned = raw ? request.unsignCookie(raw) : undefined;
  return unsigned?.valid && unsigned.value
    ? PendingSignIn.safeParse(JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')))
    : undefined;
}

/** Exchanges the callback's code; throws when the provider or the state/nonce/PKCE checks refuse it. */
async function redeemCode(
  config: oidc.Configuration,
  callbackUrl: URL,
  pending: PendingSignIn,
): Promise<oidc.IDToken | undefined> {
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  return tokens.claims();
}

/** The session keeps the roles and the caller's HMAC reference only; Entra's oid is preferred to sub. */
function sessionFor(auth: Authenticator, claims: oidc.IDToken): SessionClaims {
  const subject = typeof claims.oid === 'string' ? claims.oid : claims.sub;
  return {
    roles: rolesFromClaim(claims.roles),
    actor: auth.oidcActor(auth.oidc!.issuer, subject),
    exp: Date.now() + SESSION_HOURS * 3_600_000,
  };
}

function encodeCookieValue(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signInFailed(reply: FastifyReply, code: string) {
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><p>Sign-in failed (<code>${code}</code>). <a href="/auth/login">Try again</a>.</p>`,
    );
}
