import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app.ts';
import { errorMessage } from '../errors.ts';
import { webhookDeliveries, webhookEvents } from '../metrics.ts';
import { enqueueCallbackRequests } from '../pipeline/intake.ts';
import type { RoutedEvents, TriggerSource } from '../pipeline/jobs.ts';
import { enqueueErasures } from '../pipeline/privacy-jobs.ts';
import { inSpan } from '../telemetry.ts';

/**
 * The one intake path of every CRM's webhook route (connectors/<crm>/webhooks.ts). The route verifies
 * and parses a delivery into neutral routed events; this counts and audits the outcome (ids and counts
 * only), opens the tracing span, and puts the callback requests into the intake queue and the erasures
 * into the privacy queue. The route turns the result into its CRM's answer (204, a SOAP Ack, 503 to get
 * a retry).
 */
export type IntakeOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'rejected_signature'
  | 'rejected_shape'
  | 'rejected_size'
  | 'unavailable';

type AuditDetails = Record<string, string | number | boolean | null>;

export interface CrmIntake {
  record(request: FastifyRequest, outcome: IntakeOutcome, details?: AuditDetails): Promise<void>;
  /** 'unavailable' when Redis cannot take the jobs (the CRM must retry); otherwise what happened. */
  enqueue(
    request: FastifyRequest,
    routed: RoutedEvents,
  ): Promise<'unavailable' | 'accepted' | 'duplicate' | 'ignored'>;
}

/** What to check when a CRM's deliveries fail verification (warn level: events are being lost). */
const SIGNATURE_HINTS: Record<TriggerSource, string> = {
  'hubspot.app':
    "webhook signature mismatch: check HUBSPOT_CLIENT_SECRET (the app's client secret) and DRAFTBRIDGE_PUBLIC_URL (the v3 signature covers the exact URL HubSpot calls)",
  'hubspot.workflow':
    'workflow webhook not authenticated: check DRAFTBRIDGE_WORKFLOW_SECRET (or HUBSPOT_CLIENT_SECRET for signed workflow calls) and DRAFTBRIDGE_PUBLIC_URL',
  'salesforce.outbound':
    'outbound message refused: check SALESFORCE_ORG_ID (the org that sends) and DRAFTBRIDGE_PUBLIC_URL',
  'dynamics.webhook':
    'Dataverse webhook refused: check DATAVERSE_WEBHOOK_KEY (and DATAVERSE_WEBHOOK_HEADER) against the service endpoint registration',
};
const IGNORED_HINT =
  "webhook matched no trigger: its events were ignored (check the policy's triggers and which subscriptions the CRM app sends)";

export function crmIntake(ctx: AppContext, source: TriggerSource): CrmIntake {
  const record = async (request: FastifyRequest, outcome: IntakeOutcome, details: AuditDetails = {}) => {
    webhookDeliveries.inc({ source, outcome });
    const hint =
      outcome === 'rejected_signature'
        ? SIGNATURE_HINTS[source]
        : outcome === 'ignored'
          ? IGNORED_HINT
          : undefined;
    if (hint) request.log.warn({ source, outcome, ...details }, hint);
    try {
      await ctx.audit.append({
        type: `webhook.${outcome}`,
        actor: source,
        outcome,
        requestId: null,
        details: { httpRequestId: request.id, ...details },
      });
    } catch (err) {
      // Redis is down (that is usually why we are here): the log line is the record.
      request.log.error(
        { outcome, err: { message: errorMessage(err) } },
        'audit write failed for webhook delivery',
      );
    }
  };

  const enqueue: CrmIntake['enqueue'] = async (request, { requests, ignored, erasures = [] }) => {
    let result;
    try {
      const traceparent =
        typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
      const attributes = { 'draftbridge.source': source, 'draftbridge.events': requests.length };
      result = await inSpan(`webhook ${source}`, 'server', traceparent, attributes, () =>
        enqueueCallbackRequests(ctx.redis, ctx.queues.intake, requests),
      );
      // Deletions in the CRM become erasure jobs (the events matched no trigger: not ignored after all).
      ignored -= await enqueueErasures(ctx, erasures);
    } catch (err) {
      request.log.warn(
        { err: { message: errorMessage(err) } },
        'cannot enqueue webhook jobs; asking the sender to retry',
      );
      await record(request, 'unavailable', { events: requests.length });
      return 'unavailable';
    }
    webhookEvents.inc({ source, outcome: 'enqueued' }, result.enqueued.length);
    webhookEvents.inc({ source, outcome: 'duplicate' }, result.duplicates.length);
    webhookEvents.inc({ source, outcome: 'ignored' }, ignored);
    const outcome =
      result.enqueued.length > 0 || erasures.length > 0
        ? 'accepted'
        : result.duplicates.length > 0
          ? 'duplicate'
          : 'ignored';
    await record(request, outcome, {
      enqueued: result.enqueued.length,
      duplicates: result.duplicates.length,
      ignored,
      ...(erasures.length > 0 ? { erasures: erasures.length } : {}),
    });
    for (const r of result.enqueued)
      request.log.info({ requestId: r.requestId, flow: r.flow }, 'callback request enqueued');
    return outcome;
  };

  return { record, enqueue };
}
