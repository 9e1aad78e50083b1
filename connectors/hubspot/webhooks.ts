import { errorMessage } from '../../src/errors.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { webhookDeliveries, webhookEvents } from '../../src/metrics.ts';
import { HubSpotEventBatch, routeAppEvents, routeWorkflowDelivery, WorkflowDelivery } from './events.ts';
import { enqueueCallbackRequests } from '../../src/pipeline/intake.ts';
import type { CallbackRequest, TriggerSource } from '../../src/pipeline/jobs.ts';
import { inSpan } from '../../src/telemetry.ts';
import { issuePath } from '../../src/issue-path.ts';
import { closePrivacyQueue, enqueueErasures, routeErasureEvents, type ErasureRequest } from '../../src/pipeline/privacy-jobs.ts';
import { safeEqual, verifyHubSpotSignature } from './signature.ts';

/**
 * POST /webhooks/hubspot (app subscriptions, v3 signature) and POST /webhooks/hubspot/workflow
 * (workflow "Send a webhook" actions: v2/v3 signature or a shared-secret header).
 * 204 once every job is in Redis; 401 signature, 400 shape, 413 size, 503 when Redis can't take it.
 */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const WorkflowQuery = z.object({ flow: z.string().optional(), portalId: z.string().optional() });

type Outcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected_signature' | 'rejected_shape' | 'rejected_size' | 'unavailable';

export async function hubspotWebhookRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  app.addHook('onClose', async () => closePrivacyQueue(ctx));

  // Raw bytes: the signature covers the body exactly as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  const record = async (
    request: FastifyRequest,
    source: TriggerSource,
    outcome: Outcome,
    details: Record<string, string | number | boolean | null> = {},
  ) => {
    webhookDeliveries.inc({ source, outcome });
    try {
      await ctx.audit.append({ type: `webhook.${outcome}`, actor: source, outcome, requestId: null, details: { httpRequestId: request.id, ...details } });
    } catch (err) {
      // Redis is down (that is usually why we are here): the log line is the record.
      request.log.error({ outcome, err: { message: errorMessage(err) } }, 'audit write failed for webhook delivery');
    }
  };

  // The audit event gets a code, never the message: messages may quote what the sender sent.
  const reject = async (request: FastifyRequest, reply: FastifyReply, source: TriggerSource, status: number, outcome: Outcome, code: string, message: string) => {
    await record(request, source, outcome, { status, code });
    return reply.code(status).send({ error: message });
  };

  app.setErrorHandler(async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const source: TriggerSource = request.url.startsWith('/webhooks/hubspot/workflow') ? 'hubspot.workflow' : 'hubspot.app';
    if (error.statusCode === 413) return reject(request, reply, source, 413, 'rejected_size', 'body_too_large', 'body larger than 1 MB');
    if (error.statusCode && error.statusCode < 500) return reject(request, reply, source, error.statusCode, 'rejected_shape', 'unreadable_request', error.message);
    request.log.error({ err: { message: error.message, code: error.code } }, 'webhook handler failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  const publicUri = (request: FastifyRequest) => `${ctx.settings.publicUrl}${request.url}`;

  const enqueue = async (request: FastifyRequest, reply: FastifyReply, source: TriggerSource, requests: CallbackRequest[], ignored: number, erasures: ErasureRequest[] = []) => {
    let result;
    try {
      const traceparent = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
      result = await inSpan(`webhook ${source}`, 'server', traceparent, { 'draftbridge.source': source, 'draftbridge.events': requests.length }, () => enqueueCallbackRequests(ctx.redis, ctx.queues.intake, requests));
      // GDPR deletions in the CRM become erasure jobs (the events matched no trigger: not ignored after all).
      ignored -= await enqueueErasures(ctx, erasures);
    } catch (err) {
      request.log.warn({ err: { message: errorMessage(err) } }, 'cannot enqueue webhook jobs; asking the sender to retry');
      await record(request, source, 'unavailable', { events: requests.length });
      return reply.code(503).header('retry-after', '30').send({ error: 'queue unavailable, retry later' });
    }
    webhookEvents.inc({ source, outcome: 'enqueued' }, result.enqueued.length);
    webhookEvents.inc({ source, outcome: 'duplicate' }, result.duplicates.length);
    webhookEvents.inc({ source, outcome: 'ignored' }, ignored);
    const outcome: Outcome = result.enqueued.length > 0 || erasures.length > 0 ? 'accepted' : result.duplicates.length > 0 ? 'duplicate' : 'ignored';
    await record(request, source, outcome, { enqueued: result.enqueued.length, duplicates: result.duplicates.length, ignored, ...(erasures.length > 0 ? { erasures: erasures.length } : {}) });
    for (const r of result.enqueued) {
      request.log.info({ requestId: r.requestId, flow: r.flow }, 'callback request enqueued');
    }
    return reply.code(204).send();
  };

  app.post('/webhooks/hubspot', async (request, reply) => {
    const source = 'hubspot.app' as const;
    const body = rawBody(request);
    const secret = ctx.settings.HUBSPOT_CLIENT_SECRET;
    if (!secret) return reject(request, reply, source, 401, 'rejected_signature', 'secret_not_configured', 'HUBSPOT_CLIENT_SECRET is not configured');
    const verdict = verifyHubSpotSignature({ secret, method: request.method, uri: publicUri(request), body, headers: request.headers, accept: ['v3'] });
    if (!verdict.ok) return reject(request, reply, source, 401, 'rejected_signature', verdict.code, verdict.reason);

    const parsed = parseJson(body, HubSpotEventBatch);
    if (!parsed.ok) return reject(request, reply, source, 400, 'rejected_shape', parsed.code, parsed.message);
    const { requests, ignored } = routeAppEvents(parsed.value, ctx.policy, ctx.crm.fields('contact'));
    return enqueue(request, reply, source, requests, ignored, routeErasureEvents(parsed.value, ctx.policy));
  });

  app.post('/webhooks/hubspot/workflow', async (request, reply) => {
    const source = 'hubspot.workflow' as const;
    const body = rawBody(request);
    const auth = workflowAuthorised(request, body, ctx);
    if (!auth.ok) return reject(request, reply, source, 401, 'rejected_signature', auth.code, 'missing or invalid signature or workflow secret');

    const parsed = parseJson(body, WorkflowDelivery);
    if (!parsed.ok) return reject(request, reply, source, 400, 'rejected_shape', parsed.code, parsed.message);
    const query = WorkflowQuery.safeParse(request.query);
    const routing = routeWorkflowDelivery(parsed.value, body, ctx.policy, ctx.crm.fields('contact'), query.success ? query.data : {});
    if (routing.kind === 'invalid') return reject(request, reply, source, 400, 'rejected_shape', 'invalid_delivery', routing.reason);
    if (routing.kind === 'ignored') return enqueue(request, reply, source, [], 1);
    return enqueue(request, reply, source, [routing.request], 0);
  });
}

/** The content-type parser above hands every body over as a Buffer; no body is an empty one. */
function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function workflowAuthorised(request: FastifyRequest, body: Buffer, ctx: AppContext): { ok: true } | { ok: false; code: string } {
  const shared = ctx.settings.DRAFTBRIDGE_WORKFLOW_SECRET;
  const presented = request.headers['x-draftbridge-workflow-secret'];
  if (shared && typeof presented === 'string') return safeEqual(presented, shared) ? { ok: true } : { ok: false, code: 'workflow_secret_mismatch' };
  const secret = ctx.settings.HUBSPOT_CLIENT_SECRET;
  if (!secret) return { ok: false, code: 'secret_not_configured' };
  // v1/v2 carry no timestamp (replayable): only where the policy still allows them; the body
  // digest in the request id then dedupes a replay within the dedupe window.
  const accept = ctx.policy.webhooks.hubspot.workflowLegacySignatures ? (['v1', 'v2', 'v3'] as const) : (['v3'] as const);
  const verdict = verifyHubSpotSignature({ secret, method: request.method, uri: `${ctx.settings.publicUrl}${request.url}`, body, headers: request.headers, accept });
  return verdict.ok ? { ok: true } : { ok: false, code: verdict.code };
}

function parseJson<T extends z.ZodType>(body: Buffer, schema: T): { ok: true; value: z.output<T> } | { ok: false; code: string; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, code: 'invalid_json', message: 'body is not valid JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  // Paths and messages only; never echo values (they may be personal data).
  const first = result.error.issues.slice(0, 5).map((i) => `${issuePath(i.path)}: ${i.message}`);
  return { ok: false, code: 'invalid_payload', message: `invalid webhook payload: ${first.join('; ')}` };
}
