import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.ts';
import { OidcBearerVerifier, OidcTokenRejected } from './oidc-bearer.ts';

/**
 * Who may do what on the ops surface. Roles: viewer < operator (an operator may do everything a
 * viewer may); dpo stands apart (the /privacy routes) and implies nothing else. Every guarded route
 * group adds `requireRole(...)` itself; there is no global switch.
 *
 * Credentials, in the order they are tried: a bearer token (a static role token, or an OIDC JWT
 * verified against the issuer's JWKS), Basic auth (the password is a role token, or the legacy ops
 * user/password), the browser session cookie set by the sign-in flow.
 */
export const Role = z.enum(['viewer', 'operator', 'dpo']);
export type Role = z.infer<typeof Role>;

/** Entra ID app-role values (the `roles` claim) and the role each grants. */
export const APP_ROLES: Record<string, Role> = {
  'Draftbridge.Viewer': 'viewer',
  'Draftbridge.Operator': 'operator',
  'Draftbridge.DPO': 'dpo',
};

export interface Caller {
  roles: Role[];
  /** Who, for the audit trail: `token:<role>` or `oidc:<HMAC of issuer and subject>`; never a name. */
  actor: string;
  via: 'token' | 'basic' | 'oidc' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export function hasRole(caller: Caller, role: Role): boolean {
  if (role === 'viewer') return caller.roles.includes('viewer') || caller.roles.includes('operator');
  return caller.roles.includes(role);
}

export function rolesFromClaim(claim: unknown): Role[] {
  if (!Array.isArray(claim)) return [];
  return [...new Set(claim.flatMap((r) => (typeof r === 'string' && APP_ROLES[r] ? [APP_ROLES[r]] : [])))];
}

export const SESSION_COOKIE = 'draftbridge_session';

/** The signed browser session: roles, actor reference and expiry; no name, no address. */
export const SessionClaims = z.object({
  roles: z.array(Role),
  actor: z.string().regex(/^oidc:[a-f0-9]{32}$/),
  exp: z.number().int(),
});
export type SessionClaims = z.infer<typeof SessionClaims>;

interface StaticToken {
  digest: Buffer;
  role: Role;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export class Authenticator {
  readonly oidc: OidcBearerVerifier | undefined;
  private readonly ctx: AppContext;
  private readonly tokens: StaticToken[];
  private readonly basicUser: { user: Buffer; password: Buffer } | undefined;

  constructor(ctx: AppContext) {
    this.ctx = ctx;
    const s = ctx.settings;
    const tokens: StaticToken[] = [];
    if (s.DRAFTBRIDGE_VIEWER_TOKEN)
      tokens.push({ digest: digest(s.DRAFTBRIDGE_VIEWER_TOKEN), role: 'viewer' });
    if (s.DRAFTBRIDGE_OPERATOR_TOKEN)
      tokens.push({ digest: digest(s.DRAFTBRIDGE_OPERATOR_TOKEN), role: 'operator' });
    if (s.DRAFTBRIDGE_DPO_TOKEN) tokens.push({ digest: digest(s.DRAFTBRIDGE_DPO_TOKEN), role: 'dpo' });
    if (s.DRAFTBRIDGE_OPS_TOKEN) {
      tokens.push({ digest: digest(s.DRAFTBRIDGE_OPS_TOKEN), role: 'viewer' });
      ctx.logger.warn(
        'DRAFTBRIDGE_OPS_TOKEN is deprecated: it now grants the viewer role only; use DRAFTBRIDGE_VIEWER_TOKEN, DRAFTBRIDGE_OPERATOR_TOKEN or DRAFTBRIDGE_DPO_TOKEN',
      );
    }
    this.tokens = tokens;
    if (s.DRAFTBRIDGE_OPS_USER && s.DRAFTBRIDGE_OPS_PASSWORD)
      this.basicUser = { user: digest(s.DRAFTBRIDGE_OPS_USER), password: digest(s.DRAFTBRIDGE_OPS_PASSWORD) };
    if (s.DRAFTBRIDGE_OIDC_ISSUER && s.DRAFTBRIDGE_OIDC_AUDIENCE)
      this.oidc = new OidcBearerVerifier({
        issuer: s.DRAFTBRIDGE_OIDC_ISSUER,
        audience: s.DRAFTBRIDGE_OIDC_AUDIENCE,
      });
  }

  /** Whether any credential can succeed at all (else every guarded route answers 401). */
  configured(): boolean {
    return this.tokens.length > 0 || this.basicUser !== undefined || this.oidc !== undefined;
  }

  /** The OIDC subject as an audit reference: HMAC under the audit key, so it matches but never reveals. */
  oidcActor(issuer: string, subject: string): string {
    return `oidc:${createHmac('sha256', this.ctx.keys.audit).update(`oidc\n${issuer}\n${subject}`).digest('hex').slice(0, 32)}`;
  }

  /** Checks every configured token without stopping at the first match (constant time per token). */
  private tokenRole(value: string): Role | undefined {
    const d = digest(value);
    let found: Role | undefined;
    for (const t of this.tokens) if (timingSafeEqual(d, t.digest) && !found) found = t.role;
    return found;
  }

  /** The caller, or null when there is no credential or it is not valid. */
  async authenticate(request: FastifyRequest): Promise<Caller | null> {
    const header = request.headers.authorization ?? '';
    if (/^Bearer /i.test(header)) {
      const token = header.slice(7).trim();
      const role = this.tokenRole(token);
      if (role) return { roles: [role], actor: `token:${role}`, via: 'token' };
      if (this.oidc && token.split('.').length === 3) {
        try {
          const payload = await this.oidc.verify(token);
          // Entra's `oid` is the user's stable id across apps; `sub` is per app. Either is fine as a reference.
          const subject = typeof payload.oid === 'string' ? payload.oid : payload.sub!;
          return {
            roles: rolesFromClaim(payload.roles),
            actor: this.oidcActor(this.oidc.issuer, subject),
            via: 'oidc',
          };
        } catch (err) {
          const code = err instanceof OidcTokenRejected ? err.code : 'error';
          request.log.info({ reason: code }, 'bearer token rejected');
          return null;
        }
      }
      return null;
    }
    if (/^Basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      if (this.basicUser) {
        const ok =
          timingSafeEqual(digest(user), this.basicUser.user) &&
          timingSafeEqual(digest(password), this.basicUser.password);
        if (ok) return { roles: ['viewer'], actor: 'token:viewer', via: 'basic' };
      }
      // Browsers can only do Basic: a role token works as the password.
      const role = this.tokenRole(password);
      return role ? { roles: [role], actor: `token:${role}`, via: 'basic' } : null;
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie) {
      const unsigned = request.unsignCookie(cookie);
      if (!unsigned.valid || unsigned.value === null) return null;
      const claims = SessionClaims.safeParse(
        safeJson(Buffer.from(unsigned.value, 'base64url').toString('utf8')),
      );
      if (!claims.success || claims.data.exp < Date.now()) return null;
      return { roles: claims.data.roles, actor: claims.data.actor, via: 'session' };
    }
    return null;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const authenticators = new WeakMap<AppContext, Authenticator>();
/** One authenticator per app context (the OIDC key set and the deprecation warning are per process). */
export function authenticatorFor(ctx: AppContext): Authenticator {
  let auth = authenticators.get(ctx);
  if (!auth) {
    auth = new Authenticator(ctx);
    authenticators.set(ctx, auth);
  }
  return auth;
}

/**
 * The guard a route group (or a single route) declares: 401 without a valid credential, 403 with a
 * valid one lacking the role. Browsers asking for a page are sent to sign-in when OIDC is set up.
 */
export function requireRole(auth: Authenticator, role: Role) {
  return async function roleGuard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.caller ??= (await auth.authenticate(request)) ?? undefined;
    const caller = request.caller;
    if (!caller) {
      const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
      if (wantsPage && auth.oidc) {
        return reply.redirect(`/auth/login?returnTo=${encodeURIComponent(request.url)}`, 302);
      }
      return (
        reply
          .code(401)
          // Two header lines, not one combined value: browsers only prompt for Basic when it has its own.
          .header('www-authenticate', [
            'Bearer realm="draftbridge"',
            'Basic realm="draftbridge", charset="UTF-8"',
          ])
          .send({ error: 'authentication required', code: 'unauthenticated' })
      );
    }
    if (!hasRole(caller, role)) {
      return reply.code(403).send({ error: `the ${role} role is required`, code: 'forbidden' });
    }
  };
}
