import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CrmFields } from '../../src/crm-fields.ts';
import { matchTrigger, type Policy } from '../../src/policy.ts';
import type { CallbackRequest, ErasureRequest, RoutedEvents } from '../../src/pipeline/jobs.ts';

/**
 * What HubSpot posts: app webhooks (a batch of events) and workflow "Send a webhook" actions (the
 * object itself). Both become CallbackRequests when they match a policy trigger.
 */

const Id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

export const HubSpotEvent = z.looseObject({
  eventId: Id,
  subscriptionId: Id,
  portalId: Id,
  appId: Id.optional(),
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: Id,
  objectTypeId: z.string().optional(),
  changeSource: z.string().optional(),
  changeFlag: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
});
export type HubSpotEvent = z.infer<typeof HubSpotEvent>;

export const HubSpotEventBatch = z
  .array(HubSpotEvent)
  .min(1, 'an empty batch')
  .max(1000, 'more than 1000 events');

/** Generic `object.*` subscriptions for contacts (objectTypeId 0-1) mean the same as `contact.*`. */
function normalisedType(event: HubSpotEvent): string {
  if (event.subscriptionType.startsWith('object.') && event.objectTypeId === '0-1') {
    return `contact.${event.subscriptionType.slice('object.'.length)}`;
  }
  return event.subscriptionType;
}

/** Maps a parsed batch to requests; events matching no trigger are counted as ignored. */
export function routeAppEvents(
  events: HubSpotEvent[],
  policy: Policy,
  fields: CrmFields,
  receivedAt = Date.now(),
): RoutedEvents {
  const requests: CallbackRequest[] = [];
  let ignored = 0;
  for (const event of events) {
    const subscriptionType = normalisedType(event);
    const propertyName = event.propertyName === undefined ? undefined : fields.logical(event.propertyName);
    const trigger = matchTrigger(policy, {
      subscriptionType,
      propertyName,
      propertyValue: event.propertyValue,
    });
    if (!trigger) {
      ignored++;
      continue;
    }
    requests.push({
      // Derived from portal and event (and object, because HubSpot does not promise unique event ids),
      // so a redelivered event maps to the same job id and BullMQ keeps one job.
      requestId: `hs-${event.portalId}-${event.eventId}-${event.objectId}`,
      flow: trigger.flow,
      source: 'hubspot.app',
      account: String(event.portalId),
      objectType: 'contact',
      contactId: String(event.objectId),
      eventId: String(event.eventId),
      occurredAt: event.occurredAt,
      receivedAt,
    });
  }
  return { requests, ignored };
}

// Workflow deliveries: the legacy format ({vid, "portal-id", properties: {p: {value}}}) or the
// property-picker format ({hs_object_id, p: value, ...}). Only ids and trigger properties are read.
const PropertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const WorkflowDelivery = z.looseObject({
  objectId: Id.optional(),
  vid: Id.optional(),
  hs_object_id: Id.optional(),
  portalId: Id.optional(),
  'portal-id': Id.optional(),
  properties: z
    .record(z.string(), z.union([PropertyValue, z.looseObject({ value: PropertyValue.optional() })]))
    .optional(),
});
export type WorkflowDelivery = z.infer<typeof WorkflowDelivery>;

export type WorkflowRouting =
  | { kind: 'request'; request: CallbackRequest }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

function propertyOf(delivery: WorkflowDelivery, name: string): string | undefined {
  const nested = delivery.properties?.[name];
  const raw =
    nested !== undefined && nested !== null && typeof nested === 'object'
      ? nested.value
      : (nested ?? (delivery as Record<string, unknown>)[name]);
  return raw === undefined || raw === null ? undefined : String(raw);
}

export function routeWorkflowDelivery(
  delivery: WorkflowDelivery,
  rawBody: Buffer,
  policy: Policy,
  fields: CrmFields,
  query: { flow?: string | undefined; portalId?: string | undefined },
  receivedAt = Date.now(),
): WorkflowRouting {
  const contactId =
    delivery.objectId ?? delivery.hs_object_id ?? delivery.vid ?? propertyOf(delivery, 'hs_object_id');
  if (contactId === undefined || !/^\d+$/.test(String(contactId)))
    return { kind: 'invalid', reason: 'no contact id (objectId, hs_object_id or vid)' };
  const portalRaw = delivery.portalId ?? delivery['portal-id'] ?? query.portalId;
  const portalId = portalRaw === undefined ? 0 : Number(portalRaw);
  if (!Number.isInteger(portalId) || portalId < 0)
    return { kind: 'invalid', reason: 'portalId is not a number' };

  let flow: string | undefined;
  if (query.flow !== undefined) {
    // The workflow itself is the trigger; the URL names which policy-triggered flow it starts.
    if (!policy.triggers.some((t) => t.flow === query.flow))
      return { kind: 'invalid', reason: `flow "${query.flow}" is not started by any policy trigger` };
    flow = query.flow;
  } else {
    const trigger = policy.triggers.find((t) => {
      if (t.event !== 'contact.propertyChange' || t.property === undefined || !fields.has(t.property))
        return false;
      const value = propertyOf(delivery, fields.name(t.property));
      return t.value === undefined ? value !== undefined : value === t.value;
    });
    if (!trigger) return { kind: 'ignored', reason: 'no trigger property in the delivery and no ?flow=' };
    flow = trigger.flow;
  }
  // Workflow deliveries have no event id; a retry repeats the same body, so its digest dedupes.
  const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 20);
  return {
    kind: 'request',
    request: {
      requestId: `hswf-${portalId}-${contactId}-${digest}`,
      flow,
      source: 'hubspot.workflow',
      account: String(portalId),
      objectType: 'contact',
      contactId: String(contactId),
      eventId: digest,
      occurredAt: receivedAt,
      receivedAt,
    },
  };
}

/** HubSpot events that ask for an erasure; job ids dedupe redeliveries like callback requests. */
export function routeErasureEvents(events: HubSpotEvent[], policy: Policy): ErasureRequest[] {
  const out: ErasureRequest[] = [];
  for (const event of events) {
    const type =
      event.subscriptionType.startsWith('object.') && event.objectTypeId === '0-1'
        ? `contact.${event.subscriptionType.slice('object.'.length)}`
        : event.subscriptionType;
    const trigger =
      type === 'contact.privacyDeletion'
        ? 'crm.privacyDeletion'
        : type === 'contact.deletion' && policy.privacy.eraseOnContactDeletion
          ? 'crm.deletion'
          : undefined;
    if (!trigger) continue;
    out.push({
      jobId: `erase-hs-${event.portalId}-${event.eventId}-${event.objectId}`,
      job: { kind: 'erasure', objectType: 'contact', recordId: String(event.objectId), trigger },
    });
  }
  return out;
}
