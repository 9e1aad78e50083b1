import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { registry } from '../metrics.ts';
import { startAlertWatch } from '../ops/alerts.ts';
import { authenticatorFor, requireRole } from './access.ts';
import { opsBoards } from './ops-board.ts';
import { reviewPage } from './review-page.ts';
import { signInRoutes } from './sign-in.ts';
import { readiness } from './readiness.ts';
import { securityHeaders } from './hardening.ts';

/** /healthz and /readyz (open), /metrics (viewer) and the Bull Board dashboards (see ops-board.ts). */
export async function opsRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  // nosniff, no referrer, no framing on every ops answer (pages set their own CSP).
  app.addHook('onRequest', securityHeaders());

  app.get('/healthz', async () => ({ status: 'ok' }));

  // Liveness: the process answers. Never a dependency here, or a Redis outage restarts every pod.
  app.get('/livez', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const { ready, body } = await readiness(ctx);
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });

  const auth = authenticatorFor(ctx);
  if (!auth.configured())
    ctx.logger.warn(
      'no ops credentials configured: /metrics, /ops and /privacy answer 401 (set DRAFTBRIDGE_VIEWER_TOKEN or DRAFTBRIDGE_OIDC_ISSUER)',
    );

  const alerts = startAlertWatch(ctx);
  app.addHook('onClose', async () => alerts.close());

  app.get('/metrics', { onRequest: requireRole(auth, 'viewer') }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  await app.register(opsBoards, { ctx, auth });
  await app.register(reviewPage, { ctx, auth });
  await app.register(signInRoutes, { ctx, auth });
}
