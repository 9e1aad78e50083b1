import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { RemoteExecutionContext, routeDataverseContext } from './events.ts';
import { crmIntake } from '../../src/http/crm-intake.ts';
import { safeEqual } from '../hubspot/signature.ts';

/**
 * POST /webhooks/dynamics: Dataverse webhook deliveries (a service endpoint with a step on
 * Create/Update of contact or lead). Authenticated by the service endpoint's WebhookKey (`?code=`) or,
 * when DATAVERSE_WEBHOOK_HEADER names one, its HttpHeader key; both compared in constant time with
 * DATAVERSE_WEBHOOK_KEY. 204 once the job is in Redis; 401 auth, 400 shape, 413 size, 503 when Redis
 * can't take it (the asynchronous system job is retried by Dataverse).
 */
export const DATAVERSE_BODY_LIMIT = 1024 * 1024;

const Query = z.object({ code: z.string().optional(), flow: z.string().max(64).optional() });

export async function dynamicsWebhookRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const intake = crmIntake(ctx, 'dynamics.webhook');

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: DATAVERSE_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  const reject = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    outcome: 'rejected_signature' | 'rejected_shape' | 'rejected_size',
    message: string,
  ) => {
    await intake.record(request, outcome, { status, reason: message.slice(0, 60) });
    return reply.code(status).send({ error: message });
  };

  app.setErrorHandler(
    async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
      if (error.statusCode === 413)
        return reject(request, reply, 413, 'rejected_size', 'body larger than 1 MB');
      if (error.statusCode && error.statusCode < 500)
        return reject(request, reply, error.statusCode, 'rejected_shape', error.message);
      request.log.error(
        { err: { message: error.message, code: error.code } },
        'dynamics webhook handler failed',
      );
      return reply.code(500).send({ error: 'internal error' });
    },
  );

  // The WebhookKey arrives in the query string: never let it reach a log line.
  const logSerializers = {
    req: (req: FastifyRequest) => ({
      method: req.method,
      url: req.url.replace(/([?&]code=)[^&]*/gi, '$1[redacted]'),
      remoteAddress: req.ip,
    }),
  };

  app.post('/webhooks/dynamics', { logSerializers }, async (request, reply) => {
    const query = Query.safeParse(request.query);
    const q = query.success ? query.data : {};
    const key = ctx.settings.DATAVERSE_WEBHOOK_KEY;
    if (!key)
      return reject(request, reply, 401, 'rejected_signature', 'DATAVERSE_WEBHOOK_KEY is not configured');
    const headerName = ctx.settings.DATAVERSE_WEBHOOK_HEADER?.toLowerCase();
    const presented = headerName ? request.headers[headerName] : q.code;
    if (typeof presented !== 'string' || !safeEqual(presented, key))
      return reject(
        request,
        reply,
        401,
        'rejected_signature',
        headerName ? `missing or wrong ${headerName} header` : 'missing or wrong ?code= key',
      );

    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return reject(request, reply, 400, 'rejected_shape', 'body is not valid JSON');
    }
    const parsed = RemoteExecutionContext.safeParse(json);
    if (!parsed.success) {
      // Paths and messages only; never values.
      const first = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return reject(
        request,
        reply,
        400,
        'rejected_shape',
        `not a RemoteExecutionContext: ${first.join('; ')}`,
      );
    }
    const routed = routeDataverseContext(parsed.data, ctx.policy, (t) => ctx.crm.fields(t), q);
    const outcome = await intake.enqueue(request, routed);
    if (outcome === 'unavailable')
      return reply.code(503).header('retry-after', '30').send({ error: 'queue unavailable, retry later' });
    return reply.code(204).send();
  });
}
