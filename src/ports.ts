import type { RedisClient as Redis } from './redis.ts';
import { z } from 'zod';
import type { CrmObjectType } from './crm-fields.ts';
import type { Provider } from './errors.ts';
import { Language, type LlmRoute, type Policy } from './policy.ts';
import type { Settings } from './settings.ts';

/**
 * The interfaces the core depends on. Connectors in connectors/<system>/ implement them. Adding a
 * system means a new connector folder (adapter, event parsing, webhook route) and its simulator in
 * sandbox/; in src/ only the settings it needs, the choice in connectors/index.ts's caller (the CLI)
 * and, for a webhook, one line in the HTTP server's route table.
 */

// ---------- CRM ----------
// Connectors speak their CRM's own field names; the core maps logical names (src/crm-fields.ts)
// before it calls and after it reads, so a connector never needs to know the policy.

/** A contact or lead in the CRM (HubSpot has contacts only; Salesforce and Dataverse have both). */
export interface CrmRecordRef {
  type: CrmObjectType;
  id: string;
}

export interface CrmContact {
  id: string;
  /** Only the properties that were asked for (CRM names, values as strings); anything else is dropped. */
  properties: Record<string, string | null>;
}

/** A CRM user with a mailbox: who the draft is for and who signs it (also kept in the vault as is). */
export const CrmOwner = z.object({
  id: z.string(),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
});
export type CrmOwner = z.infer<typeof CrmOwner>;

export interface CrmPort {
  /** null when the record does not exist (404). */
  getContact(record: CrmRecordRef, properties: readonly string[]): Promise<CrmContact | null>;
  /** null when the owner (a CRM user with a mailbox) does not exist. */
  getOwner(ownerId: string): Promise<CrmOwner | null>;
  /** A note (HubSpot note, Salesforce Task/ContentNote, Dataverse annotation) on the record; `body` is simple HTML. */
  createNote(input: {
    record: CrmRecordRef;
    body: string;
    ownerId?: string;
    at?: Date;
  }): Promise<{ id: string }>;
  updateContact(record: CrmRecordRef, properties: Record<string, string>): Promise<void>;
  /** A meeting on the record (HubSpot meetings object); CRMs without one get a note instead. */
  createMeeting?(input: {
    record: CrmRecordRef;
    title: string;
    body: string;
    start: Date;
    end: Date;
    ownerId?: string;
  }): Promise<{ id: string }>;
  /**
   * True where calls of one kind that wait at the same time go out as one batch call (HubSpot): intake
   * and crm-sync then run more jobs at once so the batches fill, and crm-sync writes a job's note and
   * status together. Elsewhere every job's call is a request of its own: the stages stay within what a
   * per-user concurrency limit allows (Dataverse: 52 concurrent requests) and write one after the other.
   */
  readonly batchesCalls?: boolean;
}

// ---------- Mail ----------

export interface MailRecipient {
  address: string;
  name?: string;
}

export interface OutgoingMail {
  /** Mailbox (UPN or user id) the draft lands in or is sent from. */
  mailbox: string;
  to: MailRecipient[];
  subject: string;
  body: string;
  contentType: 'text' | 'html';
  categories: string[];
  /** draftbridge request id, stored as a single-value extended property on the message. */
  requestId: string;
}

export interface MailMessageRef {
  id: string;
  mailbox: string;
  isDraft: boolean;
  internetMessageId?: string;
  conversationId?: string;
  webLink?: string;
}

export interface MailSubscription {
  id: string;
  resource: string;
  expirationDateTime: string;
}

/** The draft operations every mailbox system has (Outlook through Graph, Gmail). */
export interface MailPort {
  /** Looks a message up by the draftbridge request id (so a retry checks before it creates). */
  findByRequestId(mailbox: string, requestId: string): Promise<MailMessageRef | null>;
  createDraft(mail: OutgoingMail): Promise<MailMessageRef>;
  sendDraft(mailbox: string, messageId: string): Promise<void>;
  sendMail(mail: OutgoingMail): Promise<void>;
  /** `body` is the message text as plain text (what the recipient reads), when the server returns it. */
  getMessage(
    mailbox: string,
    messageId: string,
  ): Promise<(MailMessageRef & { requestId: string | null; body?: string }) | null>;
  /** The plain text of a received message and its sender (to read a contact's reply locally); null when gone. */
  getReplyText?(mailbox: string, messageId: string): Promise<ReceivedReply | null>;
}

/** A received message as the booking reads it: text, sender, and what tells a machine's reply apart. */
export interface ReceivedReply {
  text: string;
  from: string | null;
  subject?: string;
  /** Internet message headers by name (Auto-Submitted, X-Auto-Response-Suppress, Precedence). */
  headers?: Record<string, string>;
}

/** Graph's approval machinery: change-notification subscriptions and delta queries (src/pipeline/mail-watch.ts). */
export interface GraphSubscriptionPort {
  subscribe(input: {
    resource: string;
    changeType: string;
    notificationUrl: string;
    lifecycleNotificationUrl?: string;
    clientState: string;
    expirationDateTime: Date;
  }): Promise<MailSubscription>;
  renewSubscription(id: string, expirationDateTime: Date): Promise<MailSubscription>;
  deleteSubscription(id: string): Promise<void>;
  /** Delta query over a folder; returns the changed message refs and the next delta link. */
  delta(
    mailbox: string,
    folder: string,
    deltaLink?: string,
  ): Promise<{ messages: (MailMessageRef & { removed: boolean })[]; deltaLink: string }>;
}

/**
 * What the reviewer or the lead did, as each mailbox system's watcher reports it: the draft was sent
 * (approved), deleted (rejected), or the lead replied in its thread. The core applies it (track-mail).
 */
export interface MailboxChange {
  requestId: string;
  kind: 'sent' | 'deleted' | 'reply';
  /** For `sent`: the text as sent (plain), when the mailbox system returns it; for the edit ratio only. */
  body?: string;
  /** The mailbox it happened in, where the system has a calendar there (holds, booking). */
  mailbox?: string;
  /** The message that changed (the sent message, the deleted draft, the reply). */
  messageId: string;
}

/** A mailbox system's approval loop as the deliver stage sees it: remember the draft, watch its mailbox. */
export interface MailboxWatcher {
  link(
    requestId: string,
    ref: { id: string; conversationId?: string | undefined; mailbox?: string },
  ): Promise<void>;
  ensure(mailbox: string): Promise<void>;
}

// ---------- Calendar ----------

/** A time the owner is not free (busy, tentative, out of office), in UTC (ISO with Z). */
export interface CalendarBusy {
  start: string;
  end: string;
}

/** The mailbox's own settings: time zone and working hours, names as the mail system gives them. */
export interface CalendarSettings {
  /** IANA or Windows zone name ("W. Europe Standard Time"); null when unset. */
  timeZone: string | null;
  workingHours: {
    /** Lower-case English day names ("monday"). */
    daysOfWeek: string[];
    /** "08:00:00.0000000" */
    startTime: string;
    endTime: string;
    timeZone: string | null;
  } | null;
}

/** Free/busy of an owner's calendar (Graph getSchedule + mailboxSettings); absent for mail systems without one. */
export interface CalendarPort {
  getSchedule(mailbox: string, from: Date, to: Date): Promise<CalendarBusy[]>;
  getCalendarSettings(mailbox: string): Promise<CalendarSettings>;
  /**
   * Creates an event in the mailbox's calendar (needs Calendars.ReadWrite). `transactionId` makes a
   * repeated call return the first event instead of a second one; `requestId` is stored as the
   * draftbridge extended property.
   */
  createEvent(mailbox: string, event: CalendarEvent): Promise<{ id: string }>;
  /** The tentative holds draftbridge placed for a request (marked with the hold property). */
  listHolds(mailbox: string, requestId: string): Promise<(CalendarBusy & { id: string })[]>;
  /** Removes an event; an event already gone is fine. */
  deleteEvent(mailbox: string, eventId: string): Promise<void>;
}

export interface CalendarEvent {
  subject: string;
  /** UTC ISO */
  start: string;
  end: string;
  attendees: MailRecipient[];
  body: string;
  showAs: 'busy' | 'tentative';
  transactionId: string;
  requestId: string;
  /** A hold carries the request id in the hold property (listHolds finds it), a meeting in the request property. */
  hold?: boolean;
}

// ---------- LLM ----------

/** The policy's LLM routes (`eu`: Azure OpenAI in an allowed region; `local`: a self-hosted model). */
export type LlmRouteName = LlmRoute;

export interface LlmDraftRequest {
  route: LlmRouteName;
  /** Already pseudonymised; the connector's leak guard scans it again before it leaves. */
  system: string;
  user: string;
  language: Language;
  /** For correlation in logs and audit, never sent to the model. */
  requestId: string;
  /**
   * Leak guard for this request (knows the job's CRM values and runs the recognisers). The connector
   * runs it over every message it is about to send and throws LeakBlocked on any finding.
   */
  guard: OutboundScanner;
}

/** The structured answer every LLM route must give (also the response format sent to the model). */
export const EmailDraft = z.object({
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(8000),
  language: Language,
});
export type EmailDraft = z.infer<typeof EmailDraft>;

export type LlmDraftOutcome =
  | {
      kind: 'drafted';
      draft: EmailDraft;
      usage: { promptTokens: number; completionTokens: number };
      model: string;
    }
  | { kind: 'content_filtered'; categories: string[] }
  | { kind: 'truncated' };

export interface LlmPort {
  /** Throws LeakBlocked, UpstreamRateLimited, UpstreamUnavailable or UpstreamRejected. */
  draft(request: LlmDraftRequest): Promise<LlmDraftOutcome>;
  /**
   * Structured extraction (the reply reader's second engine): answers with `schema` as the JSON
   * schema of the response format. Throws as `draft` does; absent where no route can.
   */
  extract?<T>(request: LlmExtractRequest<T>): Promise<T>;
}

export interface LlmExtractRequest<T> extends Omit<LlmDraftRequest, 'language'> {
  schema: z.ZodType<T>;
  schemaName: string;
}

/**
 * Scans text bound for the LLM; returns the types of personal values found (empty = clean).
 * Implemented by the privacy core, injected into the LLM connector so it fails closed.
 */
export type OutboundScanner = (text: string) => string[];

// ---------- Provider quotas ----------

/** One limit of a provider quota: at most `maxCount` calls and `maxWeight` units (tokens) in any `windowMs`. */
export interface RateRule {
  windowMs: number;
  maxCount?: number;
  maxWeight?: number;
}

/** A provider quota shared by every draftbridge process (LLM deployment, HubSpot portal). */
export interface RateBudgetSpec {
  /** Names the shared budget (one per deployment or portal). */
  name: string;
  rules: RateRule[];
  /**
   * Extra spacing when a booking waits for an older one to leave a window: the provider sees calls a
   * little later (and less evenly) than they were booked, so exactly at the edge would be too early.
   */
  marginMs: number;
}

/** A booking; `settle` needs it to correct the weight or the time. */
export interface RateTicket {
  readonly name: string;
  readonly member: string;
  readonly weight: number;
  /** The quota's longest window: how long the booking must stay counted. */
  readonly windowMs: number;
}

export type RateGrant =
  { granted: true; waitMs: number; ticket: RateTicket } | { granted: false; waitMs: number };

/**
 * Schedules calls against a provider's quota across processes (src/rate-budget.ts, on Redis). A
 * connector books before it calls and waits `waitMs` (the booked time); bookings are first come, first
 * served, so waiting callers do not race each other for the slot that frees next.
 */
export interface RateBudget {
  /** Books `weight` units at the earliest time every rule allows; refuses when that is more than `maxWaitMs` away. */
  reserve(spec: RateBudgetSpec, weight: number, maxWaitMs: number): Promise<RateGrant>;
  /**
   * Corrects a booking after the call: `weight` is what the provider really counted; `restamp` moves
   * it to now when the call reached the provider later than booked (a busy process, a slow client), so
   * later bookings count from when it really went. A booking already gone is fine.
   */
  settle(ticket: RateTicket, correction: { weight?: number; restamp?: boolean }): Promise<void>;
  /** Drops a booking the provider refused (429): it did not count against the provider's window. */
  release(ticket: RateTicket): Promise<void>;
}

// ---------- Wiring ----------

/** The three systems a deployment talks to; built once by the command line and handed to the workers. */
export interface Ports {
  crm: CrmPort;
  mail: MailPort;
  llm: LlmPort;
  /** Graph only: change-notification subscriptions and delta for the approval loop. */
  graph?: GraphSubscriptionPort;
  /**
   * Gmail only: builds the watch + history approval loop on the worker's Redis connection; `refKey`
   * keys the mailbox references that stand in for addresses in job payloads.
   */
  gmailWatch?: (store: Redis, refKey: Buffer) => HistoryWatcher;
  /**
   * Exchange (EWS) only: builds the pull-subscription approval loop on the worker's Redis connection;
   * the mail-events stage polls it on a schedule (EWS_POLL_INTERVAL_MS).
   */
  ewsWatch?: (store: Redis) => PolledWatcher;
  /** The owner's calendar; absent where the mail system has none (slots then follow the policy's working hours). */
  calendar?: CalendarPort | undefined;
}

/** A watcher that learns of changes by reading a mailbox's history from a pushed position (Gmail). */
export interface HistoryWatcher extends MailboxWatcher {
  /** The changes since the stored position up to `pushedPosition`, for the mailbox behind `ref`. */
  changes(ref: string, pushedPosition: string): Promise<MailboxChange[]>;
  /** Renews every watch (they expire); returns how many were renewed. */
  renewAll(): Promise<number>;
  /** The watched mailbox's address behind `ref`; null when no longer watched. */
  address?(ref: string): Promise<string | null>;
}

/** A watcher that asks the mailbox system for changes on a schedule (Exchange pull subscriptions). */
export interface PolledWatcher extends MailboxWatcher {
  /** Reads every watched mailbox's changes and hands each to `apply`; returns how many there were. */
  pollAll(apply: (change: MailboxChange) => Promise<void>): Promise<number>;
}

/**
 * Where connectors report what they saw. The core provides a Prometheus-backed sink; tests and tools
 * pass their own (or none): a connector never writes to a process-global registry itself.
 */
export interface ConnectorMetrics {
  /** One call to a provider: ok, not_found, throttled, rejected, filtered or error. */
  upstream(provider: Provider, outcome: string): void;
  /** An outbound LLM request refused by the leak guard, once per finding type. */
  leakGuardRefusal(type: string): void;
  llmTokens(route: LlmRouteName, kind: 'prompt' | 'completion', count: number): void;
}

/** Reports nothing: the default when no sink is given. */
export const NO_CONNECTOR_METRICS: ConnectorMetrics = {
  upstream: () => undefined,
  leakGuardRefusal: () => undefined,
  llmTokens: () => undefined,
};

// ---------- Doctor ----------

/**
 * One line of `draftbridge doctor`: a live check against a real system (src/cli/doctor.ts runs them).
 * A connector adds its checks as a function returning these; `setting` names the variable to change
 * when `ok` is false, `detail` says what was seen and the next step, without secrets or personal data.
 */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  setting?: string;
  /** Not checked (system not in use, or an earlier check failed); shown as "–", never fails the run. */
  skipped?: boolean;
}

/** What each system's checks learn for the next (the CRM's first owner's mailbox for the mail check). */
export interface DoctorFindings {
  mailbox?: string;
}

/** What a system's checks get: the configuration, what earlier checks found, and a time limit per call. */
export interface DoctorContext {
  settings: Settings;
  policy: Policy;
  findings: DoctorFindings;
  timeoutMs: number;
}

/** A system's checks (a connector's doctor.ts exports one; src/cli/doctor.ts lists them). */
export type DoctorProbe = (ctx: DoctorContext) => Promise<DoctorCheck[]>;
