import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { crmIntake, type CrmIntake, type IntakeOutcome } from '../../src/http/crm-intake.ts';
import {
  HubSpotEventBatch,
  routeAppEvents,
  routeErasureEvents,
  routeWorkflowDelivery,
  WorkflowDelivery,
} from './events.ts';
import type { RoutedEvents, TriggerSource } from '../../src/pipeline/jobs.ts';
import { issuePath } from '../../src/issue-path.ts';
import { closePrivacyQueue } from '../../src/pipeline/privacy-jobs.ts';
import { safeEqual, verifyHubSpotSignature } from './signature.ts';

/**
 * POST /webhooks/hubspot (app subscriptions, v3 signature) and POST /webhooks/hubspot/workflow
 * (workflow "Send a webhook" actions: v2/v3 signature or a shared-secret header).
 * 204 once every job is in Redis; 401 signature, 400 shape, 413 size, 503 when Redis can't take it.
 */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

type HubSpotSource = Extract<TriggerSource, `hubspot.${string}`>;

const WorkflowQuery = z.object({ flow: z.string().optional(), portalId: z.string().optional() });

/** Why a delivery was turned away: the status and audit outcome/code, and the message for the sender. */
interface Rejection {
  status: number;
  outcome: IntakeOutcome;
  code: string;
  message: string;
}

type Admission = { ok: true; routed: RoutedEvents } | { ok: false; rejection: Rejection };

export async function hubspotWebhookRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  app.addHook('onClose', async () => closePrivacyQueue(ctx));

  // Raw bytes: the signature covers the body exactly as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  const intake: Record<HubSpotSource, CrmIntake> = {
    'hubspot.app': crmIntake(ctx, 'hubspot.app'),
    'hubspot.workflow': crmIntake(ctx, 'hubspot.workflow'),
  };

  // The audit event gets a code, never the message: messages may quote what the sender sent.
  const reject = async (
    request: FastifyRequest,
    reply: FastifyReply,
    source: HubSpotSource,
    rejection: Rejection,
  ) => {
    const { status, outcome, code, message } = rejection;
    await intake[source].record(request, outcome, { status, code });
    return reply.code(status).send({ error: message });
  };

  app.setErrorHandler(
    async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
      const rejection = frameworkRejection(error);
      if (rejection) return reject(request, reply, sourceOfUrl(request.url), rejection);
      request.log.error({ err: { message: error.message, code: error.code } }, 'webhook handler failed');
      return reply.code(500).send({ error: 'internal error' });
    },
  );

  // One answer for both endpoints: the rejection (audited), or 204/503 from the queue.
  const respond = async (
    request: FastifyRequest,
    reply: FastifyReply,
    source: HubSpotSource,
    admission: Admission,
  ) => {
    if (!admission.ok) return reject(request, reply, source, admission.rejection);
    const outcome = await intake[source].enqueue(request, admission.routed);
    if (outcome === 'unavailable')
      return reply.code(503).header('retry-after', '30').send({ error: 'queue unavailable, retry later' });
    return reply.code(204).send();
  };

  app.post('/webhooks/hubspot', async (request, reply) =>
    respond(request, reply, 'hubspot.app', admitAppDelivery(request, ctx)),
  );

  app.post('/webhooks/hubspot/workflow', async (request, reply) =>
    respond(request, reply, 'hubspot.workflow', admitWorkflowDelivery(request, ctx)),
  );
}

function refused(status: number, outcome: IntakeOutcome, code: string, message: string): Admission {
  return { ok: false, rejection: { status, outcome, code, message } };
}

function admitted(routed: RoutedEvents): Admission {
  return { ok: true, routed };
}

function sourceOfUrl(url: string): HubSpotSource {
  return url.startsWith('/webhooks/hubspot/workflow') ? 'hubspot.workflow' : 'hubspot.app';
}

/** Fastify's own refusals (too large, unreadable) are audited like ours; anything else is a 500. */
function frameworkRejection(error: { statusCode?: number; message: string }): Rejection | undefined {
  if (error.statusCode === 413)
    return {
      status: 413,
      outcome: 'rejected_size',
      code: 'body_too_large',
      message: 'body larger than 1 MB',
    };
  if (error.statusCode && error.statusCode < 500)
    return {
      status: error.statusCode,
      outcome: 'rejected_shape',
      code: 'unreadable_request',
      message: error.message,
    };
  return undefined;
}

/** App subscriptions: v3 signature only, then the event batch routed to callbacks and erasures. */
function admitAppDelivery(request: FastifyRequest, ctx: AppContext): Admission {
  const body = rawBody(request);
  const secret = ctx.settings.HUBSPOT_CLIENT_SECRET;
  if (!secret)
    return refused(
      401,
      'rejected_signature',
      'secret_not_configured',
      'HUBSPOT_CLIENT_SECRET is not configured',
    );
  const verdict = verifyHubSpotSignature({
    secret,
    method: request.method,
    uri: publicUri(request, ctx),
    body,
    headers: request.headers,
    accept: ['v3'],
  });
  if (!verdict.ok) return refused(401, 'rejected_signature', verdict.code, verdict.reason);

  const parsed = parseJson(body, HubSpotEventBatch);
  if (!parsed.ok) return refused(400, 'rejected_shape', parsed.code, parsed.message);
  const routed = routeAppEvents(parsed.value, ctx.policy, ctx.crm.fields('contact'));
  return admitted({ ...routed, erasures: routeErasureEvents(parsed.value, ctx.policy) });
}

/** Workflow "Send a webhook" actions: signature or shared secret, then at most one callback request. */
function admitWorkflowDelivery(request: FastifyRequest, ctx: AppContext): Admission {
  const body = rawBody(request);
  const auth = workflowAuthorised(request, body, ctx);
  if (!auth.ok)
    return refused(401, 'rejected_signature', auth.code, 'missing or invalid signature or workflow secret');

  const parsed = parseJson(body, WorkflowDelivery);
  if (!parsed.ok) return refused(400, 'rejected_shape', parsed.code, parsed.message);
  const query = WorkflowQuery.safeParse(request.query);
  const routing = routeWorkflowDelivery(
    parsed.value,
    body,
    ctx.policy,
    ctx.crm.fields('contact'),
    query.success ? query.data : {},
  );
  if (routing.kind === 'invalid') return refused(400, 'rejected_shape', 'invalid_delivery', routing.reason);
  if (routing.kind === 'ignored') return admitted({ requests: [], ignored: 1 });
  return admitted({ requests: [routing.request], ignored: 0 });
}

/** The URI HubSpot signed: the public address, not the one the proxy forwarded to. */
function publicUri(request: FastifyRequest, ctx: AppContext): string {
  return `${ctx.settings.publicUrl}${request.url}`;
}

/** The content-type parser above hands every body over as a Buffer; no body is an empty one. */
function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function workflowAuthorised(
  request: FastifyRequest,
  body: Buffer,
  ctx: AppContext,
): { ok: true } | { ok: false; code: string } {
  const shared = ctx.settings.DRAFTBRIDGE_WORKFLOW_SECRET;
  const presented = request.headers['x-draftbridge-workflow-secret'];
  if (shared && typeof presented === 'string')
    return safeEqual(presented, shared) ? { ok: true } : { ok: false, code: 'workflow_secret_mismatch' };
  const secret = ctx.settings.HUBSPOT_CLIENT_SECRET;
  if (!secret) return { ok: false, code: 'secret_not_configured' };
  // v1/v2 carry no timestamp (replayable): only where the policy still allows them; the body
  // digest in the request id then dedupes a replay within the dedupe window.
  const accept = ctx.policy.webhooks.hubspot.workflowLegacySignatures
    ? (['v1', 'v2', 'v3'] as const)
    : (['v3'] as const);
  const verdict = verifyHubSpotSignature({
    secret,
    method: request.method,
    uri: publicUri(request, ctx),
    body,
    headers: request.headers,
    accept,
  });
  return verdict.ok ? { ok: true } : { ok: false, code: verdict.code };
}

function parseJson<T extends z.ZodType>(
  body: Buffer,
  schema: T,
): { ok: true; value: z.output<T> } | { ok: false; code: string; message: string } {
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
