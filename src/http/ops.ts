import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.ts';
import { registry } from '../metrics.ts';
import { safeEqual } from './hubspot-signature.ts';

/** /healthz, /readyz, /metrics and the Bull Board dashboard at /ops/queues (never unauthenticated). */
export async function opsRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks = { redis: false, policy: ctx.policy !== undefined };
    try {
      checks.redis = (await ctx.redis.ping()) === 'PONG';
    } catch {
      checks.redis = false;
    }
    const ready = checks.redis && checks.policy;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  await app.register(dashboard, { ctx });
}

async function dashboard(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  if (!opsCredentialsConfigured(ctx)) {
    ctx.logger.warn('ops dashboard disabled: set DRAFTBRIDGE_OPS_TOKEN or DRAFTBRIDGE_OPS_USER/DRAFTBRIDGE_OPS_PASSWORD');
    app.all('/ops/queues', async (_req, reply) => reply.code(404).send({ error: 'dashboard disabled: no credentials configured' }));
    return;
  }

  app.addHook('onRequest', requireOpsAuth(ctx));

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/ops/queues');
  createBullBoard({
    queues: Object.values(ctx.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'draftbridge' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: '/ops/queues' });
}

export function opsCredentialsConfigured(ctx: AppContext): boolean {
  const { DRAFTBRIDGE_OPS_TOKEN: token, DRAFTBRIDGE_OPS_USER: user, DRAFTBRIDGE_OPS_PASSWORD: password } = ctx.settings;
  return Boolean(token || (user && password));
}

/** Bearer token or Basic auth for everything operators and the DPO use (dashboard, /privacy). */
export function requireOpsAuth(ctx: AppContext) {
  const { DRAFTBRIDGE_OPS_TOKEN: token, DRAFTBRIDGE_OPS_USER: user, DRAFTBRIDGE_OPS_PASSWORD: password } = ctx.settings;
  const authorised = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization ?? '';
    if (token && header.startsWith('Bearer ')) return safeEqual(header.slice(7), token);
    if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const [u, p] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      if (user && password) return safeEqual(u, user) && safeEqual(p, password);
      // Token-only set-ups: browsers can only do Basic, so the token works as the password.
      return token !== undefined && safeEqual(p, token);
    }
    return false;
  };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorised(request)) {
      return reply.code(401).header('www-authenticate', 'Basic realm="draftbridge ops", charset="UTF-8"').send({ error: 'authentication required' });
    }
  };
}
