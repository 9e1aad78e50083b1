import { createHash } from 'node:crypto';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { ServiceAccountKey } from '../../src/gmail-key.ts';
import { UpstreamRejected } from '../../src/errors.ts';
import {
  NO_CONNECTOR_METRICS,
  type CalendarBusy,
  type CalendarEvent,
  type CalendarPort,
  type CalendarSettings,
  type ConnectorMetrics,
} from '../../src/ports.ts';
import { DelegatedAuth, GoogleCalls } from './google-calls.ts';

/**
 * CalendarPort on Google Calendar API v3 (@googleapis/calendar), for deployments whose reps use Gmail.
 * The same delegated service account as the mail acts as the rep. Free/busy comes from freebusy.query
 * on the rep's primary calendar, the zone from the rep's calendar settings; Google Calendar publishes
 * no working hours through its API, so the policy's hours decide (in the rep's zone). An event gets a
 * client-chosen id derived from its transaction id, so a repeated insert answers 409 and the first
 * event is returned instead of a second one; the request id rides in a private extended property.
 */
export const CALENDAR_SCOPES = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.freebusy',
  'https://www.googleapis.com/auth/calendar.settings.readonly',
];
const REQUEST_PROPERTY = 'draftbridgeRequest';
const HOLD_PROPERTY = 'draftbridgeHold';

export interface GoogleCalendarOptions {
  key: ServiceAccountKey;
  /** GOOGLE_CALENDAR_ROOT_URL, e.g. https://www.googleapis.com/ */
  rootUrl: string;
  /** GOOGLE_TOKEN_URL */
  tokenUrl: string;
  metrics?: ConnectorMetrics;
  timeoutMs?: number;
}

/** Google's event ids are base32hex (a–v, 0–9), 5–1024 characters: one per transaction id. */
export function eventIdFor(transactionId: string): string {
  const digest = createHash('sha256').update(transactionId).digest();
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `db${id}`;
}

export class GoogleCalendar implements CalendarPort {
  private readonly api: calendar_v3.Calendar;
  private readonly auth: DelegatedAuth;
  private readonly calls: GoogleCalls;

  constructor(options: GoogleCalendarOptions) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    // No client-side retries: a long pause belongs to the queue, not inside a job.
    this.api = calendar({ version: 'v3', rootUrl: options.rootUrl, retry: false, timeout: timeoutMs });
    this.auth = new DelegatedAuth(options.key, options.tokenUrl, CALENDAR_SCOPES);
    this.calls = new GoogleCalls('calendar', options.metrics ?? NO_CONNECTOR_METRICS, timeoutMs);
  }

  async getSchedule(mailbox: string, from: Date, to: Date): Promise<CalendarBusy[]> {
    const res = await this.calls.run(mailbox, 'freebusy', () =>
      this.api.freebusy.query({
        auth: this.auth.for(mailbox),
        requestBody: { timeMin: from.toISOString(), timeMax: to.toISOString(), items: [{ id: mailbox }] },
      }),
    );
    const entry = Object.entries(res?.data.calendars ?? {}).find(
      ([id]) => id.toLowerCase() === mailbox.toLowerCase(),
    );
    // Google answers 200 with per-calendar errors (notFound, internalError): never read that as "free".
    const errors = entry?.[1].errors ?? [];
    if (!entry || errors.length > 0) {
      const reasons = errors.map((e) => e.reason).join(',') || 'calendar missing from the answer';
      throw new UpstreamRejected(
        'gmail',
        404,
        `calendar freebusy: no free/busy for the rep's calendar (${reasons})`,
      );
    }
    return (entry[1].busy ?? []).map((b) => ({ start: utc(b.start), end: utc(b.end) }));
  }

  async getCalendarSettings(mailbox: string): Promise<CalendarSettings> {
    const res = await this.calls.run(
      mailbox,
      'settings',
      () => this.api.settings.get({ auth: this.auth.for(mailbox), setting: 'timezone' }),
      { notFoundIsNull: true },
    );
    return { timeZone: res?.data.value ?? null, workingHours: null };
  }

  async createEvent(mailbox: string, event: CalendarEvent): Promise<{ id: string }> {
    const id = eventIdFor(event.transactionId);
    const property = event.hold ? HOLD_PROPERTY : REQUEST_PROPERTY;
    const requestBody: calendar_v3.Schema$Event = {
      id,
      summary: event.subject,
      description: event.body,
      start: { dateTime: event.start },
      end: { dateTime: event.end },
      status: event.hold ? 'tentative' : 'confirmed',
      attendees: event.attendees.map((a) => ({
        email: a.address,
        ...(a.name ? { displayName: a.name } : {}),
      })),
      extendedProperties: { private: { [property]: event.requestId } },
      // A hold is the rep's own note of a slot on offer; only a booked meeting invites the contact.
      guestsCanModify: false,
    };
    const auth = this.auth.for(mailbox);
    try {
      const res = await this.calls.run(mailbox, 'createEvent', () =>
        this.api.events.insert({
          auth,
          calendarId: 'primary',
          sendUpdates: event.hold ? 'none' : 'all',
          requestBody,
        }),
      );
      return { id: res?.data.id ?? id };
    } catch (err) {
      // The same transaction again (a retried job): the event exists under its id.
      if (!(err instanceof UpstreamRejected) || err.status !== 409) throw err;
      const existing = await this.calls.run(mailbox, 'getEvent', () =>
        this.api.events.get({ auth, calendarId: 'primary', eventId: id }),
      );
      return { id: existing?.data.id ?? id };
    }
  }

  async listHolds(mailbox: string, requestId: string): Promise<(CalendarBusy & { id: string })[]> {
    const res = await this.calls.run(mailbox, 'listHolds', () =>
      this.api.events.list({
        auth: this.auth.for(mailbox),
        calendarId: 'primary',
        privateExtendedProperty: [`${HOLD_PROPERTY}=${requestId}`],
        singleEvents: true,
        maxResults: 50,
      }),
    );
    return (res?.data.items ?? [])
      .filter((e) => e.status !== 'cancelled' && e.id)
      .map((e) => ({ id: e.id!, start: utc(e.start?.dateTime), end: utc(e.end?.dateTime) }));
  }

  async deleteEvent(mailbox: string, eventId: string): Promise<void> {
    // 404 (never there) and 410 (already deleted) both mean the event is gone, which is what we want.
    await this.calls.run(
      mailbox,
      'deleteEvent',
      () =>
        this.api.events.delete({
          auth: this.auth.for(mailbox),
          calendarId: 'primary',
          eventId,
          sendUpdates: 'none',
        }),
      { notFoundIsNull: true, goneIsNull: true },
    );
  }
}

/** Google answers RFC 3339 with the calendar's offset; the port speaks UTC with Z. */
function utc(value: string | null | undefined): string {
  if (!value) throw new UpstreamRejected('gmail', 502, 'calendar: an event without a start or end time');
  return new Date(value).toISOString();
}
