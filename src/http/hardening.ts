import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What every route shares for safety: secrets in query strings never reach a log line or an answer
 * (Dataverse's WebhookKey arrives as `?code=`), unknown paths answer without echoing the URL, and
 * the ops pages (ours and Bull Board's) send headers that stop framing, sniffing and referrer leaks.
 */
const SECRET_QUERY = /([?&](?:code|key|token|access_token|client_secret|sig|signature)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/** The request as log lines show it (Fastify's own serializer logs the raw URL). */
export function requestLogView(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
}

/** 404 without the URL: a path or query can carry a secret and the body would echo it back. */
export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send({
    error: 'Not Found',
    code: 'not_found',
    message: `no route for ${request.method} ${redactUrl(request.url.split('?')[0]!)}`,
  });
}

/**
 * Bull Board's UI needs its own scripts and styles; everything else is locked down, including the
 * Google Fonts it asks for (an internal page sends no visitor address to Google; local fonts serve).
 */
export const BOARD_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

export function securityHeaders(csp?: string) {
  return async function addSecurityHeaders(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (csp && !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', csp);
  };
}

/**
 * Cross-site request forgery guard for state-changing calls that a browser authenticates by itself
 * (session cookie, Basic): the browser's Origin (or Sec-Fetch-Site) must be this service. Bull
 * Board's own UI sends its actions with fetch from the same origin, so it keeps working; a form or
 * script on another site is refused. Bearer tokens are never sent by a browser on its own.
 */
export function sameOriginForAmbient(publicUrl: string) {
  const allowed = new Set([new URL(publicUrl).origin]);
  return async function sameOrigin(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return undefined;
    const via = request.caller?.via;
    if (via !== 'session' && via !== 'basic') return undefined;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    // Neither header: not a browser (curl -u, a script), so nothing forged it.
    if (site === undefined && origin === undefined) return undefined;
    const own = `${request.protocol}://${request.host}`;
    const ok =
      site === 'same-origin' ||
      (site === undefined && typeof origin === 'string' && (allowed.has(origin) || origin === own));
    if (ok) return undefined;
    return reply
      .code(403)
      .send({ error: 'cross-site request refused: send it from the ops page itself', code: 'csrf' });
  };
}

/** `trustProxy` for Fastify: only the configured proxy addresses/CIDRs, never "trust everyone". */
export function trustedProxies(setting: string | undefined): string[] | false {
  const list = (setting ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : false;
}

export function registerHardening(app: FastifyInstance): void {
  app.setNotFoundHandler(notFound);
}
