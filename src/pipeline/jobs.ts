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
export const TriggerSource = z.enum([
  'hubspot.app',
  'hubspot.workflow',
  'salesforce.outbound',
  'dynamics.webhook',
]);
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

/** mail-events `confirm-removal`: a draft left Drafts; after the grace period, look whether it was sent. */
export const RemovalCheck = z.object({
  requestId: z.string().min(1),
  messageId: z.string().min(1),
  /** Where the draft was: the Graph subscription (Outlook) or the keyed mailbox reference (Gmail). */
  where: z.discriminatedUnion('via', [
    z.object({ via: z.literal('outlook'), subscriptionId: z.string().min(1) }),
    z.object({ via: z.literal('gmail'), mailboxRef: z.string().regex(/^[a-f0-9]{32}$/) }),
  ]),
  trace: TraceParent.optional(),
});
export type RemovalCheck = z.infer<typeof RemovalCheck>;

/** privacy: erase one CRM record's data (a GDPR deletion in the CRM, or a plain one where policy says so). */
export const ErasureJob = z.object({
  kind: z.literal('erasure'),
  objectType: CrmObjectType,
  recordId: CrmRecordId,
  /** What asked for it: the CRM's GDPR deletion or a plain record deletion. */
  trigger: z.enum(['crm.privacyDeletion', 'crm.deletion']),
});
export type ErasureJob = z.infer<typeof ErasureJob>;

/** An erasure job with the id that dedupes redeliveries of the CRM event. */
export interface ErasureRequest {
  jobId: string;
  job: ErasureJob;
}

/** What a CRM webhook route hands to the one intake path: the requests, how many events matched no
 * trigger, and the erasures the CRM asked for. */
export interface RoutedEvents {
  requests: CallbackRequest[];
  ignored: number;
  erasures?: ErasureRequest[];
}
