import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { parseOutboundMessage, routeOutboundMessage, sameOrg } from './events.ts';
import { notificationsAck, soapFault } from './soap.ts';
import { crmIntake } from '../../src/http/crm-intake.ts';

/**
 * POST /webhooks/salesforce: Outbound Messages from a Flow (SOAP 1.1). Answered with the
 * notificationsResponse Ack once every request is in Redis (duplicates and ignored records are acked
 * too, or Salesforce would resend them for 24 hours). Outbound messages are not signed: the
 * OrganizationId must be ours (401 when none is configured, 403 for another org), and the README
 * asks for HTTPS with Salesforce's client certificate or an IP allow-list in front.
 * 400 malformed XML, 413 size, 503 when Redis can't take the jobs (Salesforce retries).
 */
export const OUTBOUND_BODY_LIMIT = 1024 * 1024;

const Query = z.object({
  flow: z.string().max(64).optional(),
  event: z.enum(['created', 'updated']).optional(),
});

export async function salesforceWebhookRoutes(
  app: FastifyInstance,
  opts: { ctx: AppContext },
): Promise<void> {
  const { ctx } = opts;
  const intake = crmIntake(ctx, 'salesforce.outbound');

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: OUTBOUND_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  const fault = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    outcome: 'rejected_signature' | 'rejected_shape' | 'rejected_size',
    message: string,
  ) => {
    await intake.record(request, outcome, { status, reason: message.slice(0, 60) });
    return reply.code(status).type('text/xml; charset=utf-8').send(soapFault('soapenv:Client', message));
  };

  app.setErrorHandler(
    async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
      if (error.statusCode === 413)
        return fault(request, reply, 413, 'rejected_size', 'body larger than 1 MB');
      if (error.statusCode && error.statusCode < 500)
        return fault(request, reply, error.statusCode, 'rejected_shape', error.message);
      request.log.error(
        { err: { message: error.message, code: error.code } },
        'salesforce webhook handler failed',
      );
      return reply
        .code(500)
        .type('text/xml; charset=utf-8')
        .send(soapFault('soapenv:Server', 'internal error'));
    },
  );

  app.post('/webhooks/salesforce', async (request, reply) => {
    const expectedOrg = ctx.settings.SALESFORCE_ORG_ID;
    if (!expectedOrg)
      return fault(request, reply, 401, 'rejected_signature', 'SALESFORCE_ORG_ID is not configured');
    const parsed = parseOutboundMessage(typeof request.body === 'string' ? request.body : '');
    if (!parsed.ok) return fault(request, reply, 400, 'rejected_shape', parsed.message);
    if (!sameOrg(parsed.message.OrganizationId, expectedOrg))
      return fault(request, reply, 403, 'rejected_signature', 'OrganizationId is not the configured org');

    const query = Query.safeParse(request.query);
    const routed = routeOutboundMessage(
      parsed.message,
      ctx.policy,
      (t) => ctx.crm.fields(t),
      query.success ? query.data : {},
    );
    const outcome = await intake.enqueue(request, routed);
    if (outcome === 'unavailable')
      return reply
        .code(503)
        .header('retry-after', '30')
        .type('text/xml; charset=utf-8')
        .send(soapFault('soapenv:Server', 'queue unavailable, retry later'));
    return reply.code(200).type('text/xml; charset=utf-8').send(notificationsAck(true));
  });
}
