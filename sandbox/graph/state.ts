import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Fault, FaultInjector, RecordedRequest } from '../support.ts';
import type { SimulatorTls } from '../tls.ts';

/** What the simulated tenant holds, shared by the route modules (hooks.ts, messages.ts, subscriptions.ts) and the Entra ID routes. */
export interface SimMessage {
  id: string;
  immutableId: string;
  mailbox: string;
  parentFolderId: 'drafts' | 'sentitems' | 'inbox' | 'deleteditems';
  isDraft: boolean;
  subject: string;
  body: { contentType: string; content: string };
  toRecipients: { emailAddress: { address: string; name?: string } }[];
  from?: { emailAddress: { address: string; name?: string } };
  categories: string[];
  singleValueExtendedProperties: { id: string; value: string }[];
  internetMessageId: string;
  conversationId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  sentDateTime: string | null;
  changeKey: string;
  /** Received messages only: their Internet headers (Graph returns them when $select-ed). */
  internetMessageHeaders?: { name: string; value: string }[];
}

export interface SimSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: string;
}

/** A calendar event; start and end in UTC (ISO). */
export interface SimEvent {
  id: string;
  subject: string;
  start: string;
  end: string;
  /** free, tentative, busy, oof, workingElsewhere */
  showAs: string;
  transactionId?: string;
  attendees: { emailAddress: { address: string; name?: string }; type: string }[];
  body: { contentType: string; content: string };
  isOnlineMeeting: boolean;
  singleValueExtendedProperties: { id: string; value: string }[];
}

/** mailboxSettings as Graph answers them (Windows zone names, like most Exchange Online mailboxes). */
export interface SimCalendarSettings {
  timeZone: string;
  workingHours: { daysOfWeek: string[]; startTime: string; endTime: string; timeZone: { name: string } };
}

export interface Mailbox {
  upn: string;
  userId: string;
  messages: Map<string, SimMessage>;
  byPropertyValue: Map<string, Set<SimMessage>>;
  events: Map<string, SimEvent>;
  calendar: SimCalendarSettings;
}

export const DEFAULT_CALENDAR_SETTINGS: SimCalendarSettings = {
  timeZone: 'W. Europe Standard Time',
  workingHours: {
    daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
    startTime: '09:00:00.0000000',
    endTime: '17:00:00.0000000',
    timeZone: { name: 'W. Europe Standard Time' },
  },
};

/** How a send's two change notifications arrive (Graph promises no order). */
export interface SendNotificationOrder {
  order?: 'deleted-first' | 'created-first';
  gapMs?: number;
  times?: number;
}

export interface GraphSimulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  tls: SimulatorTls;
  requests: RecordedRequest[];
  /** Calls per endpoint ("POST /v1.0/users/:user/messages"; token calls under the Entra routes), for the bench. */
  calls(): Record<string, number>;
  subscriptions: Map<string, SimSubscription>;
  addMailbox(upn: string): { upn: string; userId: string };
  mailbox(upn: string): { upn: string; userId: string; messages: SimMessage[] };
  inject(fault: Fault): void;
  /** Drops every injected fault not yet used up (tests: no fault outlives its case). */
  clearFaults(): void;
  /**
   * What the reviewer does in Outlook: send the draft (approval). Notifies `deleted` (Drafts) and
   * `created` (Sent Items): `order` (default deleted first), `gapMs` between them, the pair `times` over.
   */
  sendDraftAsUser(upn: string, messageId: string, options?: SendNotificationOrder): Promise<SimMessage>;
  /** What the reviewer does in Outlook: delete the draft (rejection). */
  deleteAsUser(upn: string, messageId: string): Promise<void>;
  /** Puts an event into the mailbox's calendar (busy by default); times as ISO with offset or Z. */
  addEvent(upn: string, event: { subject?: string; start: string; end: string; showAs?: string }): SimEvent;
  events(upn: string): SimEvent[];
  setCalendarSettings(upn: string, settings: SimCalendarSettings): void;
  /** The lead answers: a message arrives in the inbox in the same conversation. */
  simulateReply(
    upn: string,
    conversationId: string,
    from: string,
    text?: string,
    options?: { subject?: string; headers?: { name: string; value: string }[] },
  ): Promise<SimMessage>;
  lifecycle(
    subscriptionId: string,
    event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
  ): Promise<void>;
  /** Highest number of requests seen in flight at once for one mailbox (Graph's limit is 4). */
  peakConcurrency(upn: string): number;
  close(): Promise<void>;
}

export interface GraphSimState {
  /** https://localhost:<port>, known once the server listens. */
  origin: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  allowHttpNotificationUrls: boolean;
  faults: FaultInjector;
  tokens: Set<string>;
  mailboxes: Map<string, Mailbox>;
  subscriptions: Map<string, SimSubscription>;
  inflight: Map<string, number>;
  peak: Map<string, number>;
  findMailbox(user: string): Mailbox | undefined;
  /** Change notifications with Graph's payload to every subscription whose resource covers the message. */
  notify(box: Mailbox, m: SimMessage, changeType: 'created' | 'updated' | 'deleted'): Promise<void>;
}

export const MAX_MESSAGE_SUBSCRIPTION_MINUTES = 4230;

export function graphError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .code(status)
    .type('application/json')
    .send({
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString(),
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
      },
    });
}

export function newMessageId(): string {
  return `AAMkAD${randomBytes(30).toString('base64url')}=`;
}
