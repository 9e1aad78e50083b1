import { randomUUID } from 'node:crypto';
import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { gmailWebhookRoutes } from '../../connectors/gmail/webhooks.ts';
import { graphWebhookRoutes } from '../../connectors/graph/webhooks.ts';
import { hubspotWebhookRoutes } from '../../connectors/hubspot/webhooks.ts';
import { dynamicsWebhookRoutes } from '../../connectors/dynamics/webhooks.ts';
import { opsRoutes } from './ops.ts';
import { registerHardening, requestLogView, trustedProxies } from './hardening.ts';
import { salesforceWebhookRoutes } from '../../connectors/salesforce/webhooks.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The HTTP API: each route group is an encapsulated plugin. */
export async function buildServer(
  ctx: AppContext,
  extra: ((app: FastifyInstance) => Promise<void>)[] = [],
): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines log the URL with query secrets (`?code=`) redacted, on every route.
    loggerInstance: ctx.logger.child(
      { component: 'http' },
      { serializers: { req: requestLogView } },
    ) as FastifyBaseLogger,
    // HubSpot gives up after 5 s and Graph after 3 s: never let a request hang on a slow client.
    requestTimeout: 10_000,
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For only from the configured proxies: anyone else could forge the client address.
    trustProxy: trustedProxies(ctx.settings.DRAFTBRIDGE_TRUSTED_PROXIES),
    // A caller's X-Request-Id is kept for correlation only if it is a short plain id: it goes into
    // every log line of the request, so arbitrary text (or 6,000 characters) is replaced.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  // Signed cookies carry the browser session; the key is derived, so no extra secret to manage.
  registerHardening(app);
  await app.register(fastifyCookie, {
    secret: createHmac('sha256', ctx.keys.audit).update('draftbridge session cookie').digest('base64url'),
  });
  await app.register(hubspotWebhookRoutes, { ctx });
  await app.register(salesforceWebhookRoutes, { ctx });
  await app.register(dynamicsWebhookRoutes, { ctx });
  await app.register(graphWebhookRoutes, { ctx });
  await app.register(gmailWebhookRoutes, { ctx });
  await app.register(opsRoutes, { ctx });
  for (const plugin of extra) await app.register(plugin);
  return app;
}
