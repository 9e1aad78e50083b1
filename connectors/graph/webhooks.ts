import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { webhookDeliveries } from '../../src/metrics.ts';
import type { MailEvent } from '../../src/pipeline/jobs.ts';
import { issuePath } from '../../src/issue-path.ts';
import { safeEqual } from '../hubspot/signature.ts';
import { inSpan, traceCarrier } from '../../src/telemetry.ts';

/**
 * POST /webhooks/graph: Microsoft Graph change and lifecycle notifications. The validation handshake
 * echoes the decoded token as text/plain; notifications are checked against GRAPH_CLIENT_STATE,
 * queued by id (Graph retries for hours, so the same notification twice is one job) and answered 202
 * well within Graph's 3 s, or 503 when Redis cannot take them (Graph retries).
 */
const Notification = z.looseObject({
  subscriptionId: z.string().min(1),
  clientState: z.string().nullable().optional(),
  changeType: z.enum(['created', 'updated', 'deleted']).optional(),
  lifecycleEvent: z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']).optional(),
  resource: z.string().optional(),
  resourceData: z.looseObject({ id: z.string().optional() }).optional(),
  tenantId: z.string().optional(),
});
/** Graph's subscription handshake: POST ?validationToken=… expects the token back. */
const ValidationQuery = z.object({ validationToken: z.string() });
const NotificationBatch = z.object({ value: z.array(Notification).min(1).max(1000) });

export async function graphWebhookRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/webhooks/graph', async (request, reply) => {
    const validation = ValidationQuery.safeParse(request.query);
    if (validation.success) {
      const token = validation.data.validationToken;
      // Fastify has already URL-decoded the query: Graph wants the token back exactly, as plain text.
      return reply
        .code(200)
        .type('text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(token);
    }
    const expected = ctx.settings.GRAPH_CLIENT_STATE;
    if (!expected)
      return reply.code(404).send({ error: 'Graph notifications are not configured (GRAPH_CLIENT_STATE)' });
    const parsed = NotificationBatch.safeParse(request.body);
    if (!parsed.success) {
      webhookDeliveries.inc({ source: 'graph', outcome: 'rejected_shape' });
      return reply.code(400).send({
        error: `invalid notification: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${issuePath(i.path)}: ${i.message}`)
          .join('; ')}`,
      });
    }
    const genuine = parsed.data.value.filter(
      (n) => typeof n.clientState === 'string' && safeEqual(n.clientState, expected),
    );
    const forged = parsed.data.value.length - genuine.length;
    if (forged > 0) {
      webhookDeliveries.inc({ source: 'graph', outcome: 'rejected_signature' });
      await ctx.audit
        .append({
          type: 'webhook.rejected_signature',
          actor: 'graph',
          outcome: 'rejected_signature',
          details: { notifications: forged },
        })
        .catch(() => undefined);
      if (genuine.length === 0) return reply.code(202).send(); // never tell a forger what was wrong
    }
    const jobs = genuine.map((n) => {
      const messageId = n.resourceData?.id ?? n.resource?.split('/').pop();
      const data: MailEvent = {
        subscriptionId: n.subscriptionId,
        receivedAt: Date.now(),
        ...(n.changeType ? { changeType: n.changeType } : {}),
        ...(n.lifecycleEvent ? { lifecycleEvent: n.lifecycleEvent } : {}),
        ...(messageId ? { messageId } : {}),
      };
      const jobId = `graph-${createHash('sha256')
        .update(`${n.subscriptionId}|${n.changeType ?? n.lifecycleEvent}|${messageId ?? ''}`)
        .digest('hex')
        .slice(0, 32)}`;
      return { name: n.changeType ?? n.lifecycleEvent ?? 'notification', data, opts: { jobId } };
    });
    try {
      const traceparent =
        typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
      await inSpan(
        'webhook graph',
        'server',
        traceparent,
        { 'draftbridge.source': 'graph', 'draftbridge.events': jobs.length },
        () => {
          const trace = traceCarrier();
          return ctx.queues['mail-events'].addBulk(
            jobs.map((j) => ({ ...j, data: { ...j.data, ...trace } })),
          );
        },
      );
    } catch {
      webhookDeliveries.inc({ source: 'graph', outcome: 'unavailable' });
      return reply.code(503).header('retry-after', '30').send({ error: 'queue unavailable, retry later' });
    }
    webhookDeliveries.inc({ source: 'graph', outcome: 'accepted' });
    return reply.code(202).send();
  });
}
