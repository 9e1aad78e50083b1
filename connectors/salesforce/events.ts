import { z } from 'zod';
import type { CrmFields, CrmObjectType } from '../../src/crm-fields.ts';
import { matchTrigger, type Policy } from '../../src/policy.ts';
import type { CallbackRequest, RoutedEvents } from '../../src/pipeline/jobs.ts';
import { parseSoapBody, SoapParseError } from './soap.ts';

/**
 * Salesforce Outbound Messages (the SOAP `notifications` call a Flow's or workflow rule's outbound
 * message action makes). One message holds up to 100 notifications; each names the record (Id) and
 * the fields the admin chose. Salesforce resends a message until it gets the Ack and keeps each
 * Notification Id across resends, so org + notification id is the request id (the dedupe key).
 */

const SalesforceId = z.string().regex(/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce id');
/** A field value: text, or `<sf:X xsi:nil="true"/>` (parsed as an attribute-only object). */
const FieldValue = z.union([z.string(), z.object({ '@_nil': z.literal('true') }).transform(() => null)]);

const Notification = z.object({
  Id: SalesforceId,
  sObject: z
    .object({
      '@_type': z.string().regex(/^(\w+:)?\w+$/),
      Id: SalesforceId,
    })
    .catchall(z.union([FieldValue, z.unknown().transform(() => undefined)])),
});

export const OutboundMessage = z.object({
  OrganizationId: SalesforceId,
  ActionId: SalesforceId.optional(),
  Notification: z.array(Notification).min(1).max(100),
});
export type OutboundMessage = z.infer<typeof OutboundMessage>;

export type ParsedOutbound = { ok: true; message: OutboundMessage } | { ok: false; message: string };

/** XML → the notifications call; a fault (400) names paths only, never values. */
export function parseOutboundMessage(xml: string): ParsedOutbound {
  let body: Record<string, unknown>;
  try {
    body = parseSoapBody(xml);
  } catch (err) {
    if (err instanceof SoapParseError) return { ok: false, message: err.message };
    throw err;
  }
  const result = OutboundMessage.safeParse(body.notifications);
  if (result.success) return { ok: true, message: result.data };
  const first = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'notifications'}: ${i.message}`);
  return { ok: false, message: `not a Salesforce outbound message: ${first.join('; ')}` };
}

/** Org ids come as 15 or 18 characters; the first 15 identify the org (case-sensitive). */
export function sameOrg(a: string, b: string): boolean {
  return a.length >= 15 && b.length >= 15 && a.slice(0, 15) === b.slice(0, 15);
}

const OBJECT_TYPES: Record<string, CrmObjectType> = { Contact: 'contact', Lead: 'lead' };

/**
 * Which flow each notification starts. The endpoint URL may name it (`?flow=callback`) or the event
 * (`?event=created` for a message on record creation); otherwise the message's fields decide: a
 * field a propertyChange trigger names with the trigger's value (Callback_Requested__c = true), or,
 * when the message carries CreatedDate and LastModifiedDate and they are equal, a new record.
 */
export function routeOutboundMessage(
  message: OutboundMessage,
  policy: Policy,
  fieldsFor: (type: CrmObjectType) => CrmFields,
  query: { flow?: string | undefined; event?: string | undefined },
  receivedAt = Date.now(),
): RoutedEvents {
  const requests: CallbackRequest[] = [];
  let ignored = 0;
  const account = message.OrganizationId.slice(0, 15);
  for (const n of message.Notification) {
    const objectType = OBJECT_TYPES[n.sObject['@_type'].replace(/^\w+:/, '')];
    const flow = objectType
      ? flowFor(n.sObject as Record<string, unknown>, objectType, policy, fieldsFor(objectType), query)
      : undefined;
    if (!objectType || !flow) {
      ignored++;
      continue;
    }
    requests.push({
      requestId: `sf-${account}-${n.Id}`,
      flow,
      source: 'salesforce.outbound',
      account,
      objectType,
      contactId: n.sObject.Id,
      eventId: n.Id,
      occurredAt: receivedAt,
      receivedAt,
    });
  }
  return { requests, ignored };
}

function flowFor(
  sObject: Record<string, unknown>,
  objectType: CrmObjectType,
  policy: Policy,
  fields: CrmFields,
  query: { flow?: string | undefined; event?: string | undefined },
): string | undefined {
  if (query.flow) return query.flow in policy.flows ? query.flow : undefined;
  if (query.event === 'created')
    return matchTrigger(policy, { subscriptionType: 'contact.creation', objectType })?.flow;
  for (const [name, value] of Object.entries(sObject)) {
    if (name === 'Id' || name.startsWith('@_') || typeof value !== 'string') continue;
    const logical = fields.logical(name);
    if (!logical) continue;
    const trigger = matchTrigger(policy, {
      subscriptionType: 'contact.propertyChange',
      objectType,
      propertyName: logical,
      propertyValue: value,
    });
    if (trigger) return trigger.flow;
  }
  const created = sObject.CreatedDate;
  if (typeof created === 'string' && created === sObject.LastModifiedDate)
    return matchTrigger(policy, { subscriptionType: 'contact.creation', objectType })?.flow;
  return undefined;
}
