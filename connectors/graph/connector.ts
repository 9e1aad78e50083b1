import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  GraphError,
  HTTPMessageHandler,
  TelemetryHandler,
  type AuthenticationProvider,
} from '@microsoft/microsoft-graph-client';
import {
  networkReason,
  UpstreamRateLimited,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../../src/errors.ts';
import {
  NO_CONNECTOR_METRICS,
  type CalendarBusy,
  type CalendarEvent,
  type CalendarPort,
  type CalendarSettings,
  type ConnectorMetrics,
  type GraphSubscriptionPort,
  type MailMessageRef,
  type MailPort,
  type MailSubscription,
  type OutgoingMail,
  type ReceivedReply,
} from '../../src/ports.ts';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { retryAfterMs, Semaphore, withTimeout } from '../rate-window.ts';
import { CachedTokenCredential } from '../token-cache.ts';

/**
 * MailPort on @microsoft/microsoft-graph-client with app-only auth from @azure/identity. Every call
 * prefers immutable ids (a sent draft keeps its id), at most `mailboxConcurrency` requests run per
 * mailbox (Graph allows 4), and 429/503 become UpstreamRateLimited with Graph's Retry-After so the
 * pipeline pauses the queue instead of the SDK sleeping inside a job.
 */

/** Our single-value extended property: a fixed GUID namespace plus a name. */
export const REQUEST_ID_PROPERTY = 'String {6f4c1e7a-3b2d-4c8e-9a51-0d2b7e4f8c13} Name draftbridgeRequestId';
/** On tentative holds instead of the request property, so a hold is never mistaken for the booked meeting. */
export const HOLD_PROPERTY = 'String {6f4c1e7a-3b2d-4c8e-9a51-0d2b7e4f8c13} Name draftbridgeHold';

export interface GraphMailOptions {
  credential?: TokenCredential;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** GRAPH_AUTHORITY_HOST */
  authorityHost?: string;
  /** GRAPH_BASE_URL, e.g. https://graph.microsoft.com/v1.0 */
  baseUrl: string;
  mailboxConcurrency?: number;
  timeoutMs?: number;
  /** Where call outcomes are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
  /** How long a mailbox's time zone and working hours stay cached (default 10 minutes; 0: off). */
  calendarSettingsTtlMs?: number;
}

const MICROSOFT_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
]);
const GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

// Graph's answers, parsed: only the fields we use; a malformed answer is an UpstreamUnavailable.
const GraphMessage = z.object({
  id: z.string(),
  // Absent on delta entries for removed messages.
  isDraft: z.boolean().optional(),
  internetMessageId: z.string().optional(),
  conversationId: z.string().optional(),
  webLink: z.string().optional(),
  parentFolderId: z.string().optional(),
  singleValueExtendedProperties: z.array(z.object({ id: z.string(), value: z.string() })).optional(),
  body: z.object({ contentType: z.string().optional(), content: z.string() }).optional(),
});
type GraphMessage = z.infer<typeof GraphMessage>;
const MessagePage = z.object({ value: z.array(GraphMessage).default([]) });
const DeltaPage = z.object({
  value: z.array(GraphMessage.extend({ '@removed': z.unknown().optional() })).default([]),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});
const DateTimeTimeZone = z.object({ dateTime: z.string(), timeZone: z.string() });
const ScheduleAnswer = z.object({
  value: z.array(
    z.object({
      scheduleId: z.string(),
      scheduleItems: z
        .array(z.object({ status: z.string(), start: DateTimeTimeZone, end: DateTimeTimeZone }))
        .default([]),
    }),
  ),
});
const GraphWorkingHours = z.object({
  daysOfWeek: z.array(z.string()),
  startTime: z.string(),
  endTime: z.string(),
  timeZone: z.object({ name: z.string() }).nullable().optional(),
});
const MailboxSettings = z.object({
  timeZone: z.string().nullable().optional(),
  workingHours: GraphWorkingHours.nullable().optional(),
});
/** Graph answers getSchedule times as zone-less wall clock in the Prefer zone; we ask for UTC. */
const toUtcIso = (dt: string) => `${dt.replace(/(\.\d{3})\d*$/, '$1').replace(/Z$/, '')}Z`;
/** Statuses that make a slot unavailable (workingElsewhere and free do not). */
const NOT_FREE = new Set(['busy', 'tentative', 'oof']);

const CreatedEvent = z.object({ id: z.string() });
const EventPage = z.object({
  value: z.array(z.object({ id: z.string(), start: DateTimeTimeZone, end: DateTimeTimeZone })).default([]),
});
const ReplyMessage = z.object({
  body: z.object({ contentType: z.string(), content: z.string() }).optional(),
  from: z
    .object({ emailAddress: z.object({ address: z.string().optional() }) })
    .nullable()
    .optional(),
  subject: z.string().nullable().optional(),
  internetMessageHeaders: z
    .array(z.object({ name: z.string(), value: z.string() }))
    .nullable()
    .optional(),
});

const Subscription = z.object({ id: z.string(), resource: z.string(), expirationDateTime: z.string() });

function answer<S extends z.ZodType>(schema: S, value: unknown, operation: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new UpstreamUnavailable(
      'graph',
      `graph ${operation}: malformed answer (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  return parsed.data;
}

export class GraphMail implements MailPort, GraphSubscriptionPort, CalendarPort {
  private readonly client: Client;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly mailboxes = new Map<string, Semaphore>();
  private readonly metrics: ConnectorMetrics;
  /** Time zone and working hours change rarely: one mailboxSettings call per mailbox and TTL, not per request. */
  private readonly calendarSettings: LRUCache<string, CalendarSettings> | null;

  constructor(options: GraphMailOptions) {
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    const base = new URL(options.baseUrl);
    const version = base.pathname.replace(/^\/+|\/+$/g, '') || 'v1.0';
    const credential = options.credential ?? graphCredential(options);
    // National clouds have their own Graph host; anything else (a simulator) stands in for the global one.
    const scope = GRAPH_HOSTS.has(base.hostname)
      ? `${base.origin}/.default`
      : 'https://graph.microsoft.com/.default';
    // The token is kept until shortly before expiry: MSAL's lookup would otherwise run on every call.
    const authProvider = tokenProvider(new CachedTokenCredential(credential), scope);
    // No RetryHandler: it would sleep through long Retry-Afters inside the job; the queue does that.
    const auth = new AuthenticationHandler(authProvider);
    const telemetry = new TelemetryHandler();
    const http = new HTTPMessageHandler();
    auth.setNext(telemetry);
    telemetry.setNext(http);
    this.client = Client.initWithMiddleware({
      middleware: auth,
      baseUrl: base.origin,
      defaultVersion: version,
      // The client attaches the token only to Graph hosts or these (bare hostnames, no port).
      ...(GRAPH_HOSTS.has(base.hostname) ? {} : { customHosts: new Set([base.hostname]) }),
    });
    this.concurrency = Math.min(4, options.mailboxConcurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    const ttl = options.calendarSettingsTtlMs ?? 10 * 60_000;
    this.calendarSettings =
      ttl > 0
        ? new LRUCache<string, CalendarSettings>({
            max: 1_000,
            ttl,
            fetchMethod: (mailbox) => this.fetchCalendarSettings(mailbox),
          })
        : null;
  }

  async findByRequestId(mailbox: string, requestId: string): Promise<MailMessageRef | null> {
    const filter = `singleValueExtendedProperties/any(ep: ep/id eq '${REQUEST_ID_PROPERTY}' and ep/value eq '${requestId.replace(/'/g, "''")}')`;
    const result = await this.call(mailbox, 'findByRequestId', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/messages`)
        .filter(filter)
        .select('id,isDraft,internetMessageId,conversationId,webLink,parentFolderId')
        .top(2)
        .get(),
    );
    // A sent copy wins over a draft left behind (the removal check asks whether it was sent).
    const found = answer(MessagePage, result, 'findByRequestId').value;
    const first = found.find((m) => m.isDraft === false) ?? found[0];
    return first ? this.ref(mailbox, first) : null;
  }

  async createDraft(mail: OutgoingMail): Promise<MailMessageRef> {
    const created = answer(
      GraphMessage,
      await this.call(mail.mailbox, 'createDraft', () =>
        this.api(`/users/${encodeURIComponent(mail.mailbox)}/messages`).post(this.message(mail)),
      ),
      'createDraft',
    );
    return this.ref(mail.mailbox, created);
  }

  async sendDraft(mailbox: string, messageId: string): Promise<void> {
    await this.call(mailbox, 'sendDraft', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(messageId)}/send`).post(
        {},
      ),
    );
  }

  async sendMail(mail: OutgoingMail): Promise<void> {
    await this.call(mail.mailbox, 'sendMail', () =>
      this.api(`/users/${encodeURIComponent(mail.mailbox)}/sendMail`).post({
        message: this.message(mail),
        saveToSentItems: true,
      }),
    );
  }

  async getMessage(
    mailbox: string,
    messageId: string,
  ): Promise<(MailMessageRef & { requestId: string | null; body?: string }) | null> {
    const found = await this.call(
      mailbox,
      'getMessage',
      () =>
        this.api(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(messageId)}`)
          // The body as plain text: the rep may have sent it as HTML; edit tracking compares text.
          .header('Prefer', 'IdType="ImmutableId", outlook.body-content-type="text"')
          .expand(`singleValueExtendedProperties($filter=id eq '${REQUEST_ID_PROPERTY}')`)
          .get(),
      { notFoundIsNull: true },
    );
    if (found === null) return null;
    const m = answer(GraphMessage, found, 'getMessage');
    const requestId =
      m.singleValueExtendedProperties?.find((p) => p.id.toLowerCase() === REQUEST_ID_PROPERTY.toLowerCase())
        ?.value ?? null;
    return { ...this.ref(mailbox, m), requestId, ...(m.body ? { body: m.body.content } : {}) };
  }

  async subscribe(input: {
    resource: string;
    changeType: string;
    notificationUrl: string;
    lifecycleNotificationUrl?: string;
    clientState: string;
    expirationDateTime: Date;
  }): Promise<MailSubscription> {
    const sub = answer(
      Subscription,
      await this.call('subscriptions', 'subscribe', () =>
        this.api('/subscriptions').post({
          changeType: input.changeType,
          notificationUrl: input.notificationUrl,
          ...(input.lifecycleNotificationUrl
            ? { lifecycleNotificationUrl: input.lifecycleNotificationUrl }
            : {}),
          resource: input.resource,
          expirationDateTime: input.expirationDateTime.toISOString(),
          clientState: input.clientState,
        }),
      ),
      'subscribe',
    );
    return { id: sub.id, resource: sub.resource, expirationDateTime: sub.expirationDateTime };
  }

  async renewSubscription(id: string, expirationDateTime: Date): Promise<MailSubscription> {
    const sub = answer(
      Subscription,
      await this.call('subscriptions', 'renewSubscription', () =>
        this.api(`/subscriptions/${encodeURIComponent(id)}`).patch({
          expirationDateTime: expirationDateTime.toISOString(),
        }),
      ),
      'renewSubscription',
    );
    return { id: sub.id, resource: sub.resource, expirationDateTime: sub.expirationDateTime };
  }

  async deleteSubscription(id: string): Promise<void> {
    await this.call(
      'subscriptions',
      'deleteSubscription',
      () => this.api(`/subscriptions/${encodeURIComponent(id)}`).delete(),
      { notFoundIsNull: true },
    );
  }

  async delta(
    mailbox: string,
    folder: string,
    deltaLink?: string,
  ): Promise<{ messages: (MailMessageRef & { removed: boolean })[]; deltaLink: string }> {
    const messages: (MailMessageRef & { removed: boolean })[] = [];
    let next: string | undefined =
      deltaLink ??
      `/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folder)}/messages/delta`;
    for (let page = 0; page < 1000 && next; page++) {
      const url: string = next;
      const res = answer(DeltaPage, await this.call(mailbox, 'delta', () => this.api(url).get()), 'delta');
      for (const m of res.value)
        messages.push({ ...this.ref(mailbox, m), removed: m['@removed'] !== undefined });
      if (res['@odata.deltaLink']) return { messages, deltaLink: res['@odata.deltaLink'] };
      next = res['@odata.nextLink'];
    }
    throw new UpstreamUnavailable('graph', 'delta query ended without a deltaLink');
  }

  /** Busy, tentative and out-of-office blocks between `from` and `to` (needs Calendars.Read). */
  async getSchedule(mailbox: string, from: Date, to: Date): Promise<CalendarBusy[]> {
    const utc = (d: Date) => ({ dateTime: d.toISOString().replace(/Z$/, ''), timeZone: 'UTC' });
    const result = await this.call(mailbox, 'getSchedule', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/calendar/getSchedule`)
        .header('Prefer', 'IdType="ImmutableId", outlook.timezone="UTC"')
        .post({ schedules: [mailbox], startTime: utc(from), endTime: utc(to), availabilityViewInterval: 30 }),
    );
    const schedule = answer(ScheduleAnswer, result, 'getSchedule').value[0];
    return (schedule?.scheduleItems ?? [])
      .filter((item) => NOT_FREE.has(item.status))
      .map((item) => ({ start: toUtcIso(item.start.dateTime), end: toUtcIso(item.end.dateTime) }));
  }

  /** The mailbox time zone and working hours (needs MailboxSettings.Read); cached per mailbox for a while. */
  async getCalendarSettings(mailbox: string): Promise<CalendarSettings> {
    if (!this.calendarSettings) return this.fetchCalendarSettings(mailbox);
    return (await this.calendarSettings.fetch(mailbox.toLowerCase()))!;
  }

  private async fetchCalendarSettings(mailbox: string): Promise<CalendarSettings> {
    const result = await this.call(mailbox, 'getCalendarSettings', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/mailboxSettings`)
        .select('timeZone,workingHours')
        .get(),
    );
    const settings = answer(MailboxSettings, result, 'getCalendarSettings');
    const wh = settings.workingHours;
    return {
      timeZone: settings.timeZone ?? null,
      workingHours: wh
        ? {
            daysOfWeek: wh.daysOfWeek.map((d) => d.toLowerCase()),
            startTime: wh.startTime,
            endTime: wh.endTime,
            timeZone: wh.timeZone?.name ?? null,
          }
        : null,
    };
  }

  /** An event with the request id property; Graph answers a repeated transactionId with the first event. */
  async createEvent(mailbox: string, event: CalendarEvent): Promise<{ id: string }> {
    const utc = (iso: string) => ({
      dateTime: new Date(iso).toISOString().replace(/Z$/, ''),
      timeZone: 'UTC',
    });
    const created = await this.call(mailbox, 'createEvent', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/events`).post({
        subject: event.subject,
        body: { contentType: 'Text', content: event.body },
        start: utc(event.start),
        end: utc(event.end),
        showAs: event.showAs,
        attendees: event.attendees.map((a) => ({
          emailAddress: { address: a.address, ...(a.name ? { name: a.name } : {}) },
          type: 'required',
        })),
        transactionId: event.transactionId,
        singleValueExtendedProperties: [
          { id: event.hold ? HOLD_PROPERTY : REQUEST_ID_PROPERTY, value: event.requestId },
        ],
      }),
    );
    return { id: answer(CreatedEvent, created, 'createEvent').id };
  }

  async listHolds(mailbox: string, requestId: string): Promise<(CalendarBusy & { id: string })[]> {
    const filter = `singleValueExtendedProperties/any(ep: ep/id eq '${HOLD_PROPERTY}' and ep/value eq '${requestId.replace(/'/g, "''")}')`;
    const result = await this.call(mailbox, 'listHolds', () =>
      this.api(`/users/${encodeURIComponent(mailbox)}/events`)
        .header('Prefer', 'IdType="ImmutableId", outlook.timezone="UTC"')
        .filter(filter)
        .select('id,start,end')
        .top(50)
        .get(),
    );
    return answer(EventPage, result, 'listHolds').value.map((e) => ({
      id: e.id,
      start: toUtcIso(e.start.dateTime),
      end: toUtcIso(e.end.dateTime),
    }));
  }

  async deleteEvent(mailbox: string, eventId: string): Promise<void> {
    await this.call(
      mailbox,
      'deleteEvent',
      () => this.api(`/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(eventId)}`).delete(),
      { notFoundIsNull: true },
    );
  }

  async getReplyText(mailbox: string, messageId: string): Promise<ReceivedReply | null> {
    const found = await this.call(
      mailbox,
      'getReplyText',
      () =>
        this.api(`/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(messageId)}`)
          .header('Prefer', 'IdType="ImmutableId", outlook.body-content-type="text"')
          .select('body,from,subject,internetMessageHeaders')
          .get(),
      { notFoundIsNull: true },
    );
    if (found === null) return null;
    const m = answer(ReplyMessage, found, 'getReplyText');
    const content = m.body?.content ?? '';
    // Text was asked for; an HTML body (older servers) is reduced to its text.
    const text =
      m.body?.contentType.toLowerCase() === 'html'
        ? content.replace(/<br\s*\/?>|<\/p>/gi, '\n').replace(/<[^>]+>/g, ' ')
        : content;
    // The headers tell an automatic reply (Auto-Submitted, X-Auto-Response-Suppress) from the contact's own.
    const headers = Object.fromEntries(
      (m.internetMessageHeaders ?? []).map((h) => [h.name.toLowerCase(), h.value]),
    );
    return {
      text,
      from: m.from?.emailAddress.address ?? null,
      ...(m.subject ? { subject: m.subject } : {}),
      headers,
    };
  }

  private api(path: string) {
    return this.client.api(path).header('Prefer', 'IdType="ImmutableId"');
  }

  private message(mail: OutgoingMail) {
    return {
      subject: mail.subject,
      body: { contentType: mail.contentType === 'html' ? 'HTML' : 'Text', content: mail.body },
      toRecipients: mail.to.map((r) => ({
        emailAddress: { address: r.address, ...(r.name ? { name: r.name } : {}) },
      })),
      categories: mail.categories,
      singleValueExtendedProperties: [{ id: REQUEST_ID_PROPERTY, value: mail.requestId }],
    };
  }

  private ref(mailbox: string, m: GraphMessage): MailMessageRef {
    return {
      id: m.id,
      mailbox,
      isDraft: m.isDraft === true,
      ...(m.internetMessageId ? { internetMessageId: m.internetMessageId } : {}),
      ...(m.conversationId ? { conversationId: m.conversationId } : {}),
      ...(m.webLink ? { webLink: m.webLink } : {}),
    };
  }

  private async call<T>(
    mailbox: string,
    operation: string,
    fn: () => Promise<T>,
    options: { notFoundIsNull?: boolean } = {},
  ): Promise<T | null> {
    let semaphore = this.mailboxes.get(mailbox.toLowerCase());
    if (!semaphore) this.mailboxes.set(mailbox.toLowerCase(), (semaphore = new Semaphore(this.concurrency)));
    try {
      // The slot stays taken until Graph has answered, even after we stopped waiting: an abandoned
      // request still counts against the mailbox's 4 concurrent requests on Graph's side.
      const result = await withTimeout(semaphore.run(fn), this.timeoutMs);
      this.metrics.upstream('graph', 'ok');
      return result;
    } catch (err) {
      if (err instanceof GraphError) {
        const status = err.statusCode;
        if (status === 404 && options.notFoundIsNull) return null;
        if (status === 429 || status === 503) {
          this.metrics.upstream('graph', 'throttled');
          const headers: Record<string, string | undefined> = {};
          err.headers?.forEach((v, k) => (headers[k.toLowerCase()] = v));
          throw new UpstreamRateLimited(
            'graph',
            retryAfterMs(headers, 5_000),
            `graph ${operation} throttled (${status})`,
          );
        }
        if (status >= 400 && status < 500 && status !== 408) {
          this.metrics.upstream('graph', 'rejected');
          throw new UpstreamRejected(
            'graph',
            status,
            `graph ${operation} refused with ${status} ${err.code ?? ''}`.trim(),
          );
        }
        this.metrics.upstream('graph', 'error');
        // The SDK says -1 when no HTTP answer came: no token (Entra ID refused or unreachable) or no connection.
        if (!(status >= 100))
          throw new UpstreamUnavailable(
            'graph',
            `graph ${operation}: no answer (${noAnswerReason(err)}); check GRAPH_TENANT_ID/GRAPH_CLIENT_ID/GRAPH_CLIENT_SECRET, GRAPH_AUTHORITY_HOST and GRAPH_BASE_URL (draftbridge doctor names which)`,
            undefined,
            { cause: err },
          );
        throw new UpstreamUnavailable('graph', `graph ${operation} failed with ${status}`, status, {
          cause: err,
        });
      }
      this.metrics.upstream('graph', 'error');
      throw new UpstreamUnavailable(
        'graph',
        `graph ${operation} failed: ${err instanceof Error ? err.name : 'unknown'}`,
        undefined,
        { cause: err },
      );
    }
  }
}

/** Why the SDK got no HTTP answer, in a few words without secrets: an Entra ID error code or the network's. */
function noAnswerReason(err: unknown): string {
  const text =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return (
    /AADSTS\d+/.exec(text)?.[0] ??
    networkReason(err) ??
    (err instanceof Error ? err.message.split('\n')[0]!.slice(0, 160) : 'unknown')
  );
}

/** The app-only credential (client secret) for Graph; `draftbridge doctor` asks it for a token first. */
export function graphCredential(
  options: Pick<GraphMailOptions, 'tenantId' | 'clientId' | 'clientSecret' | 'authorityHost'>,
): ClientSecretCredential {
  const authorityHost = options.authorityHost ?? 'https://login.microsoftonline.com';
  return new ClientSecretCredential(
    options.tenantId ?? '',
    options.clientId ?? '',
    options.clientSecret ?? '',
    {
      authorityHost,
      // MSAL otherwise asks login.microsoftonline.com for instance metadata, whatever authorityHost says.
      disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.has(new URL(authorityHost).hostname),
    },
  );
}

/**
 * The SDK's AuthenticationProvider contract over a TokenCredential, as its
 * TokenCredentialAuthenticationProvider does, except that one builds an Error (stack trace and all)
 * on every call before it knows whether it needs one: about 1 % of the pipeline's CPU.
 */
function tokenProvider(credential: TokenCredential, scope: string): AuthenticationProvider {
  return {
    async getAccessToken() {
      const token = await credential.getToken([scope]);
      if (!token?.token)
        throw new GraphClientError('Cannot retrieve accessToken from the Token Credential object');
      return token.token;
    },
  };
}
