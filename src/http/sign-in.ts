import type { FastifyInstance, FastifyReply } from 'fastify';
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
  const issuer = s.DRAFTBRIDGE_OIDC_ISSUER;
  const clientId = s.DRAFTBRIDGE_OIDC_CLIENT_ID ?? s.DRAFTBRIDGE_OIDC_AUDIENCE!;
  const redirectUri = `${s.publicUrl}/auth/callback`;
  let config: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    config ??= oidc.discovery(
      new URL(issuer),
      clientId,
      undefined,
      s.DRAFTBRIDGE_OIDC_CLIENT_SECRET
        ? oidc.ClientSecretPost(s.DRAFTBRIDGE_OIDC_CLIENT_SECRET)
        : oidc.None(),
      // Plain http only for a provider on this machine (the sandbox simulator).
      isLoopbackHttp(issuer) ? { execute: [oidc.allowInsecureRequests] } : {},
    );
    config.catch(() => {
      config = undefined;
    });
    return config;
  };

  const failed = (reply: FastifyReply, code: string) =>
    reply
      .code(400)
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><p>Sign-in failed (<code>${code}</code>). <a href="/auth/login">Try again</a>.</p>`,
      );

  app.get('/auth/login', async (request, reply) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const pending = {
      verifier,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      returnTo: safeReturnTo((request.query as Record<string, unknown>).returnTo),
    };
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    reply.setCookie(SIGN_IN_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
      ...cookieBase,
      path: '/auth',
      maxAge: 600,
    });
    return reply.redirect(url.toString(), 302);
  });

  app.get('/auth/callback', async (request, reply) => {
    const raw = request.cookies[SIGN_IN_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    const pending =
      unsigned?.valid && unsigned.value
        ? PendingSignIn.safeParse(JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')))
        : undefined;
    reply.clearCookie(SIGN_IN_COOKIE, { path: '/auth' });
    if (!pending?.success) return failed(reply, 'no_pending_sign_in');
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(
        await configuration(),
        new URL(request.url, s.publicUrl),
        {
          pkceCodeVerifier: pending.data.verifier,
          expectedState: pending.data.state,
          expectedNonce: pending.data.nonce,
          idTokenExpected: true,
        },
      );
      claims = tokens.claims();
    } catch (err) {
      request.log.info({ reason: (err as { code?: string }).code ?? (err as Error).name }, 'sign-in refused');
      return failed(reply, 'token_exchange');
    }
    if (!claims) return failed(reply, 'no_id_token');
    const subject = typeof claims.oid === 'string' ? claims.oid : claims.sub;
    const session: SessionClaims = {
      roles: rolesFromClaim(claims.roles),
      actor: auth.oidcActor(auth.oidc!.issuer, subject),
      exp: Date.now() + SESSION_HOURS * 3_600_000,
    };
    reply.setCookie(SESSION_COOKIE, Buffer.from(JSON.stringify(session)).toString('base64url'), {
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
