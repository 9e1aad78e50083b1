import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { graphWebhookRoutes } from './graph-webhooks.ts';
import { hubspotWebhookRoutes } from './hubspot-webhooks.ts';
import { dynamicsWebhookRoutes } from './dynamics-webhooks.ts';
import { opsRoutes } from './ops.ts';
import { salesforceWebhookRoutes } from './salesforce-webhooks.ts';

/** The HTTP API: each route group is an encapsulated plugin. */
export async function buildServer(ctx: AppContext, extra: ((app: FastifyInstance) => Promise<void>)[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // HubSpot gives up after 5 s and Graph after 3 s: never let a request hang on a slow client.
    requestTimeout: 10_000,
    bodyLimit: 1024 * 1024,
    trustProxy: true,
    requestIdHeader: 'x-request-id',
  });
  await app.register(hubspotWebhookRoutes, { ctx });
  await app.register(salesforceWebhookRoutes, { ctx });
  await app.register(dynamicsWebhookRoutes, { ctx });
  await app.register(graphWebhookRoutes, { ctx });
  await app.register(opsRoutes, { ctx });
  for (const plugin of extra) await app.register(plugin);
  return app;
}
