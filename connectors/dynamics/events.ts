import { z } from 'zod';
import type { CrmFields, CrmObjectType } from '../../src/crm-fields.ts';
import { matchTrigger, type Policy } from '../../src/policy.ts';
import type { CallbackRequest, RoutedEvents } from '../../src/pipeline/jobs.ts';

/**
 * Dataverse webhooks: a step registered on Create/Update of contact or lead posts the
 * RemoteExecutionContext, serialised by .NET's DataContractJsonSerializer (parameter and attribute
 * collections as [{key, value}] arrays, dates as "\/Date(ms±zone)\/"). Asynchronous steps carry
 * RequestId null, and a retried system job keeps its CorrelationId and OperationId: together they are
 * the request id (the dedupe key).
 */
const Guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'a GUID');
const KeyValue = z.object({ key: z.string(), value: z.unknown() });
const Target = z.object({ Attributes: z.array(KeyValue), Id: Guid.optional(), LogicalName: z.string() });

/** `/Date(1506409448000-0700)/` → epoch ms (the offset only says how the server displayed it). */
export const DotNetDate = z
  .string()
  .regex(/^\/Date\(-?\d+([+-]\d{4})?\)\/$/, 'a .NET JSON date')
  .transform((v) => Number(/-?\d+/.exec(v.slice(6))![0]));

export const RemoteExecutionContext = z.object({
  CorrelationId: Guid,
  OperationId: Guid.nullable().optional(),
  RequestId: Guid.nullable().optional(),
  OrganizationId: Guid,
  MessageName: z.string().min(1).max(100),
  PrimaryEntityName: z.string().min(1).max(100),
  PrimaryEntityId: Guid,
  OperationCreatedOn: DotNetDate.optional(),
  Depth: z.number().int().min(0).optional(),
  InputParameters: z.array(KeyValue).default([]),
});
export type RemoteExecutionContext = z.infer<typeof RemoteExecutionContext>;

const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';
const OBJECT_TYPES: Record<string, CrmObjectType> = { contact: 'contact', lead: 'lead' };

/** An attribute value as the trigger compares it: text; two-option true/false; option sets by value; lookups by id. */
export function attributeText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string')
    return /^\/Date\(-?\d+([+-]\d{4})?\)\/$/.test(value)
      ? new Date(DotNetDate.parse(value)).toISOString()
      : value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const o = value as { Value?: unknown; Id?: unknown };
    if (o.Value !== undefined) return String(o.Value);
    if (typeof o.Id === 'string') return o.Id;
  }
  return undefined;
}

export function routeDataverseContext(
  context: RemoteExecutionContext,
  policy: Policy,
  fieldsFor: (type: CrmObjectType) => CrmFields,
  query: { flow?: string | undefined },
  receivedAt = Date.now(),
): RoutedEvents {
  const objectType = OBJECT_TYPES[context.PrimaryEntityName];
  const flow = objectType ? flowFor(context, objectType, policy, fieldsFor(objectType), query) : undefined;
  if (!objectType || !flow) return { requests: [], ignored: 1 };
  // Synchronous steps carry a RequestId; asynchronous ones an OperationId (the system job).
  const operation =
    [context.RequestId, context.OperationId].find((id) => id && id !== EMPTY_GUID) ?? context.PrimaryEntityId;
  const request: CallbackRequest = {
    requestId: `dv-${context.CorrelationId}-${operation}`.toLowerCase(),
    flow,
    source: 'dynamics.webhook',
    account: context.OrganizationId.toLowerCase(),
    objectType,
    contactId: context.PrimaryEntityId.toLowerCase(),
    eventId: operation.toLowerCase(),
    occurredAt: context.OperationCreatedOn ?? receivedAt,
    receivedAt,
  };
  return { requests: [request], ignored: 0 };
}

function flowFor(
  context: RemoteExecutionContext,
  objectType: CrmObjectType,
  policy: Policy,
  fields: CrmFields,
  query: { flow?: string | undefined },
): string | undefined {
  if (query.flow) return query.flow in policy.flows ? query.flow : undefined;
  if (context.MessageName === 'Create') {
    const created = matchTrigger(policy, { subscriptionType: 'contact.creation', objectType });
    if (created) return created.flow;
  }
  if (context.MessageName !== 'Create' && context.MessageName !== 'Update') return undefined;
  // Only the attributes that were set in this operation are in Target.
  const target = Target.safeParse(context.InputParameters.find((p) => p.key === 'Target')?.value);
  if (!target.success) return undefined;
  for (const { key, value } of target.data.Attributes) {
    const logical = fields.logical(key);
    const text = attributeText(value);
    if (!logical || text === undefined) continue;
    const trigger = matchTrigger(policy, {
      subscriptionType: 'contact.propertyChange',
      objectType,
      propertyName: logical,
      propertyValue: text,
    });
    if (trigger) return trigger.flow;
  }
  return undefined;
}
