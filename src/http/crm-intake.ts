import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app.ts';
import { webhookDeliveries, webhookEvents } from '../metrics.ts';
import { enqueueCallbackRequests } from '../pipeline/intake.ts';
import type { CallbackRequest, TriggerSource } from '../pipeline/jobs.ts';

/**
 * What every CRM intake route does once it has verified and parsed a delivery: count and audit the
 * outcome (ids and counts only) and put the requests into the intake queue through the same path as
 * HubSpot's. The route turns the result into its CRM's answer (204, a SOAP Ack, 503 to get a retry).
 */
export type IntakeOutcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected_signature' | 'rejected_shape' | 'rejected_size' | 'unavailable';

export function crmIntake(ctx: AppContext, source: TriggerSource) {
  const record = async (request: FastifyRequest, outcome: IntakeOutcome, details: Record<string, string | number | boolean | null> = {}) => {
    webhookDeliveries.inc({ source, outcome });
    try {
      await ctx.audit.append({ type: `webhook.${outcome}`, actor: source, outcome, requestId: null, details: { httpRequestId: request.id, ...details } });
    } catch (err) {
      // Redis is down (that is usually why we are here): the log line is the record.
      request.log.error({ outcome, err: { message: (err as Error).message } }, 'audit write failed for webhook delivery');
    }
  };

  /** 'unavailable' when Redis cannot take the jobs (the CRM must retry); otherwise what happened. */
  const enqueue = async (request: FastifyRequest, requests: CallbackRequest[], ignored: number): Promise<'unavailable' | 'accepted' | 'duplicate' | 'ignored'> => {
    let result;
    try {
      result = await enqueueCallbackRequests(ctx.redis, ctx.queues.intake, requests);
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'cannot enqueue webhook jobs; asking the sender to retry');
      await record(request, 'unavailable', { events: requests.length });
      return 'unavailable';
    }
    webhookEvents.inc({ source, outcome: 'enqueued' }, result.enqueued.length);
    webhookEvents.inc({ source, outcome: 'duplicate' }, result.duplicates.length);
    webhookEvents.inc({ source, outcome: 'ignored' }, ignored);
    const outcome = result.enqueued.length > 0 ? 'accepted' : result.duplicates.length > 0 ? 'duplicate' : 'ignored';
    await record(request, outcome, { enqueued: result.enqueued.length, duplicates: result.duplicates.length, ignored });
    for (const r of result.enqueued) request.log.info({ requestId: r.requestId, flow: r.flow }, 'callback request enqueued');
    return outcome;
  };

  return { record, enqueue };
}
