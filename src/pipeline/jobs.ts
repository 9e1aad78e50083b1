import { z } from 'zod';
import { CrmObjectType } from '../crm-fields.ts';

/**
 * Job payloads: ids only, never a personal value (those live encrypted in the vault). One schema per
 * payload; workers parse with it, producers are typed by it.
 */

export const RequestId = z.string().regex(/^[A-Za-z0-9._-]{6,160}$/, 'a draftbridge request id');
export type RequestId = z.infer<typeof RequestId>;

/** W3C traceparent of the trace the job belongs to (only when tracing is on): ids, never data. */
export const TraceParent = z.string().regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);

/** Which CRM intake produced the request (`<crm>.<channel>`). */
export const TriggerSource = z.enum(['hubspot.app', 'hubspot.workflow', 'salesforce.outbound', 'dynamics.webhook']);
export type TriggerSource = z.infer<typeof TriggerSource>;

/** A CRM record id: HubSpot's digits, Salesforce's 15/18 characters, Dataverse's GUID. */
export const CrmRecordId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a CRM record id');

/** A CRM event matched a policy trigger: the start of one request. */
export const CallbackRequest = z.object({
  requestId: RequestId,
  flow: z.string(),
  source: TriggerSource,
  /** The CRM account the event came from: HubSpot portal, Salesforce org, Dataverse organization. */
  account: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/),
  objectType: CrmObjectType.default('contact'),
  contactId: CrmRecordId,
  /** The CRM's event id (app webhooks, notification ids) or a digest of the delivery (workflow webhooks). */
  eventId: z.string(),
  occurredAt: z.number().int(),
  receivedAt: z.number().int(),
  trace: TraceParent.optional(),
});
export type CallbackRequest = z.infer<typeof CallbackRequest>;

/** Later stages need only the request id; everything else is in the request record and the vault. */
export const StageJob = z.object({
  requestId: RequestId,
  /** crm-sync only: what to report besides the state (a reply from the lead). */
  event: z.enum(['reply']).optional(),
  /** crm-sync of a reply: what became of it (src/pipeline/booking.ts BookingOutcome, a code). */
  reply: z.string().max(40).optional(),
  trace: TraceParent.optional(),
});
export type StageJob = z.infer<typeof StageJob>;

/** A Graph change or lifecycle notification, reduced to ids (the message is read back through Graph). */
export const MailEvent = z.object({
  subscriptionId: z.string().min(1),
  changeType: z.enum(['created', 'updated', 'deleted']).optional(),
  lifecycleEvent: z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']).optional(),
  messageId: z.string().optional(),
  receivedAt: z.number().int(),
  trace: TraceParent.optional(),
});
export type MailEvent = z.infer<typeof MailEvent>;

/**
 * A Gmail push (Pub/Sub) reduced to ids: the mailbox by its keyed reference (never its address) and
 * the history id it announced; the changes are read back through history.list.
 */
export const GmailPush = z.object({
  mailboxRef: z.string().regex(/^[a-f0-9]{32}$/, 'a mailbox reference'),
  historyId: z.string().regex(/^\d{1,20}$/, 'a Gmail history id'),
  receivedAt: z.number().int(),
  trace: TraceParent.optional(),
});
export type GmailPush = z.infer<typeof GmailPush>;
