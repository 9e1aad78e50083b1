import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A local Entra ID (OIDC) provider for tests and the sandbox, shaped like Microsoft's v2.0 endpoints
 * under `/{tenant}`: discovery (`/{tenant}/v2.0/.well-known/openid-configuration`), JWKS
 * (`/{tenant}/discovery/v2.0/keys`), the authorize endpoint for the code flow with PKCE (S256 only;
 * it shows a page to pick one of the invented users) and the token endpoint. Tokens are RS256 with
 * Entra's claims (`iss`, `aud`, `sub`, `oid`, `tid`, `roles`, `ver: "2.0"`, `nonce` in the ID token).
 */

export interface SimulatedUser {
  id: string;
  name: string;
  username: string;
  roles: string[];
}

/** Invented people on example.com, one per app role plus one without any. */
export const OIDC_USERS: SimulatedUser[] = [
  {
    id: '4b0c5f9e-0000-4000-8000-00000000a001',
    name: 'Vera Viewer',
    username: 'vera.viewer@example.com',
    roles: ['Draftbridge.Viewer'],
  },
  {
    id: '4b0c5f9e-0000-4000-8000-00000000a002',
    name: 'Olivia Operator',
    username: 'olivia.operator@example.com',
    roles: ['Draftbridge.Operator'],
  },
  {
    id: '4b0c5f9e-0000-4000-8000-00000000a003',
    name: 'Dana Datenschutz',
    username: 'dana.datenschutz@example.com',
    roles: ['Draftbridge.DPO'],
  },
  {
    id: '4b0c5f9e-0000-4000-8000-00000000a004',
    name: 'Nora Norole',
    username: 'nora.norole@example.com',
    roles: [],
  },
];

export interface OidcSimulator {
  url: string;
  tenantId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The API's audience (an application ID URI, as Entra issues for a custom API). */
  audience: string;
  /** Signs a token as this provider would (tests vary claims to check rejection). */
  issueToken(options?: {
    user?: SimulatedUser;
    roles?: string[];
    audience?: string;
    issuer?: string;
    expiresInSeconds?: number;
    nonce?: string;
  }): Promise<string>;
  /** Mounted mode only: the routes, for the host app to register under the mount path. */
  plugin?: (app: FastifyInstance) => Promise<void>;
  /** A token signed with a key the JWKS does not publish (forged). */
  issueForgedToken(options?: { roles?: string[] }): Promise<string>;
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  user: SimulatedUser;
  expiresAt: number;
}

const KID = 'draftbridge-sim-1';

/**
 * Standalone (its own loopback listener), or with `mountedAt` (the public URL of a path in another
 * app, e.g. the sandbox service's `/sandbox/oidc`) so a browser outside a container reaches it too.
 */
export async function startOidcSimulator(
  options: {
    port?: number;
    clientId?: string;
    clientSecret?: string;
    audience?: string;
    tenantId?: string;
    mountedAt?: string;
  } = {},
): Promise<OidcSimulator> {
  const tenantId = options.tenantId ?? '7d3f0c2a-0000-4000-8000-0000000000aa';
  const clientId = options.clientId ?? '2f6b1c7e-0000-4000-8000-0000000000bb';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const audience = options.audience ?? `api://${clientId}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const forger = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, use: 'sig', alg: 'RS256' };
  const codes = new Map<string, PendingCode>();

  // Known once listening (or from the mount); the handlers read them at request time.
  let url = options.mountedAt?.replace(/\/+$/, '') ?? '';
  let issuer = `${url}/${tenantId}/v2.0`;

  const sign = async (
    claims: Record<string, unknown>,
    key: CryptoKey,
    aud: string,
    iss: string,
    expiresInSeconds: number,
  ) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, ver: '2.0', tid: tenantId })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
      .setIssuer(iss)
      .setAudience(aud)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresInSeconds)
      .setJti(randomUUID())
      .sign(key);
  };
  const userClaims = (user: SimulatedUser) => ({
    sub: createHash('sha256').update(`${clientId}:${user.id}`).digest('base64url').slice(0, 43),
    oid: user.id,
    name: user.name,
    preferred_username: user.username,
    roles: user.roles,
  });

  const routes = async (app: FastifyInstance) => {
    await app.register(fastifyFormbody);

    app.get(`/${tenantId}/v2.0/.well-known/openid-configuration`, async () => ({
      issuer,
      authorization_endpoint: `${url}/${tenantId}/oauth2/v2.0/authorize`,
      token_endpoint: `${url}/${tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${url}/${tenantId}/discovery/v2.0/keys`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nonce',
        'name',
        'preferred_username',
        'oid',
        'tid',
        'roles',
        'ver',
      ],
    }));

    app.get(`/${tenantId}/discovery/v2.0/keys`, async () => ({ keys: [publicJwk] }));

    const AuthorizeQuery = (q: Record<string, string | undefined>) => {
      if (q.client_id !== clientId) return 'AADSTS700016: unknown client_id';
      if (q.response_type !== 'code') return 'AADSTS900144: response_type must be code';
      if (!q.redirect_uri) return 'AADSTS900144: redirect_uri missing';
      if (!q.code_challenge || q.code_challenge_method !== 'S256')
        return 'AADSTS9002325: PKCE with S256 is required';
      if (!(q.scope ?? '').split(' ').includes('openid')) return 'AADSTS900144: scope must include openid';
      return undefined;
    };

    // The sign-in page: the invented users as buttons (Entra would ask for a password and MFA here).
    app.get(`/${tenantId}/oauth2/v2.0/authorize`, async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const problem = AuthorizeQuery(q);
      if (problem)
        return reply
          .code(400)
          .type('text/html')
          .send(`<p>${escapeHtml(problem)}</p>`);
      const hidden = Object.entries(q)
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v ?? '')}">`)
        .join('');
      const buttons = OIDC_USERS.map(
        (u) => `<button type="submit" name="user" value="${u.id}">Sign in as ${escapeHtml(u.name)}</button>`,
      ).join('<br>');
      return reply
        .type('text/html')
        .send(
          `<!doctype html><html><head><title>Sign in (simulated Entra ID)</title></head><body><h1>Simulated Entra ID</h1><form method="post" action="${url}/${tenantId}/oauth2/v2.0/authorize">${hidden}${buttons}</form></body></html>`,
        );
    });

    app.post(`/${tenantId}/oauth2/v2.0/authorize`, async (request, reply) => {
      const q = request.body as Record<string, string | undefined>;
      const problem = AuthorizeQuery(q);
      const user = OIDC_USERS.find((u) => u.id === q.user);
      if (problem || !user)
        return reply
          .code(400)
          .type('text/html')
          .send(`<p>${escapeHtml(problem ?? 'pick a user')}</p>`);
      const code = randomBytes(32).toString('base64url');
      codes.set(code, {
        clientId,
        redirectUri: q.redirect_uri!,
        codeChallenge: q.code_challenge!,
        nonce: q.nonce,
        scope: q.scope!,
        user,
        expiresAt: Date.now() + 60_000,
      });
      const target = new URL(q.redirect_uri!);
      target.searchParams.set('code', code);
      if (q.state) target.searchParams.set('state', q.state);
      return reply.redirect(target.toString(), 302);
    });

    app.post(`/${tenantId}/oauth2/v2.0/token`, async (request, reply) => {
      const body = request.body as Record<string, string | undefined>;
      const error = (status: number, code: string, description: string) =>
        reply.code(status).send({ error: code, error_description: description });
      let [id, secret] = [body.client_id, body.client_secret];
      const basic = request.headers.authorization;
      if (basic?.startsWith('Basic '))
        [id, secret] = Buffer.from(basic.slice(6), 'base64')
          .toString('utf8')
          .split(':')
          .map(decodeURIComponent) as [string, string];
      if (id !== clientId) return error(400, 'invalid_client', 'AADSTS700016: unknown client');
      if (secret !== undefined && secret !== clientSecret)
        return error(401, 'invalid_client', 'AADSTS7000215: invalid client secret');
      if (body.grant_type !== 'authorization_code')
        return error(400, 'unsupported_grant_type', 'AADSTS70003: only authorization_code');
      const pending = body.code ? codes.get(body.code) : undefined;
      if (!pending || pending.expiresAt < Date.now())
        return error(400, 'invalid_grant', 'AADSTS70008: the code has expired or was used');
      codes.delete(body.code!);
      if (body.redirect_uri !== pending.redirectUri)
        return error(400, 'invalid_grant', 'AADSTS50011: redirect_uri mismatch');
      const challenge = body.code_verifier
        ? createHash('sha256').update(body.code_verifier).digest('base64url')
        : '';
      if (challenge !== pending.codeChallenge)
        return error(
          400,
          'invalid_grant',
          'AADSTS501481: the code_verifier does not match the code_challenge',
        );
      const claims = userClaims(pending.user);
      return {
        token_type: 'Bearer',
        scope: pending.scope,
        expires_in: 3599,
        access_token: await sign(claims, privateKey, audience, issuer, 3600),
        id_token: await sign(
          { ...claims, ...(pending.nonce ? { nonce: pending.nonce } : {}) },
          privateKey,
          clientId,
          issuer,
          3600,
        ),
      };
    });
  };

  let standalone: FastifyInstance | undefined;
  if (!options.mountedAt) {
    standalone = Fastify({ logger: false });
    await standalone.register(routes);
    await standalone.listen({ port: options.port ?? 0, host: '127.0.0.1' });
    const address = standalone.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    issuer = `${url}/${tenantId}/v2.0`;
  }

  return {
    url,
    tenantId,
    issuer,
    clientId,
    clientSecret,
    audience,
    async issueToken(o = {}) {
      const user = o.user ?? OIDC_USERS[0]!;
      const claims = {
        ...userClaims(user),
        roles: o.roles ?? user.roles,
        ...(o.nonce ? { nonce: o.nonce } : {}),
      };
      return sign(claims, privateKey, o.audience ?? audience, o.issuer ?? issuer, o.expiresInSeconds ?? 3600);
    },
    async issueForgedToken(o = {}) {
      return sign(
        { ...userClaims(OIDC_USERS[0]!), roles: o.roles ?? ['Draftbridge.Operator'] },
        forger.privateKey,
        audience,
        issuer,
        3600,
      );
    },
    ...(standalone ? {} : { plugin: routes }),
    async close() {
      await standalone?.close();
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
