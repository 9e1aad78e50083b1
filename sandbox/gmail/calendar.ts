import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { applyTransportFault, recordBody, type FaultInjector } from '../support.ts';

/**
 * Google Calendar API v3, the subset draftbridge uses, on the Gmail simulator's host (both are Google
 * APIs; the official client's paths start with /calendar/v3): freebusy.query (per-calendar `errors`
 * for calendars it cannot see, busy periods merged), settings.get, events.insert with a client id
 * (base32hex, 409 `duplicate` on a repeat), events.list with `privateExtendedProperty`, events.get and
 * events.delete (410 `deleted` once gone). Scopes are checked per method as Google documents them.
 */
export const CALENDAR_SCOPES = {
  read: ['https://www.googleapis.com/auth/calendar', 'https://www.googleapis.com/auth/calendar.readonly'],
  freebusy: [
    'https://www.googleapis.com/auth/calendar.freebusy',
    'https://www.googleapis.com/auth/calendar.events.freebusy',
  ],
  events: ['https://www.googleapis.com/auth/calendar', 'https://www.googleapis.com/auth/calendar.events'],
  settings: ['https://www.googleapis.com/auth/calendar.settings.readonly'],
};
export const ALL_CALENDAR_SCOPES = [...new Set(Object.values(CALENDAR_SCOPES).flat())];

export interface SimCalendarEvent {
  id: string;
  summary: string;
  description: string;
  start: string;
  end: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  transparency: 'opaque' | 'transparent';
  attendees: { email: string; displayName?: string; responseStatus: string }[];
  privateProperties: Record<string, string>;
  created: string;
  updated: string;
  /** The sendUpdates the insert asked for: whether Google mailed the attendees. */
  sendUpdates: string;
}

export interface CalendarGrant {
  mailbox: string;
  expires: number;
  scopes: string[];
}

export interface SimCalendar {
  /** The mailbox's events, cancelled ones included. */
  events(mailbox: string): SimCalendarEvent[];
  /** Something already in the rep's calendar (a busy block). */
  addEvent(mailbox: string, start: string, end: string, summary?: string): SimCalendarEvent;
  setTimeZone(mailbox: string, timeZone: string): void;
}

const EventBody = z.object({
  id: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  status: z.enum(['confirmed', 'tentative', 'cancelled']).optional(),
  transparency: z.enum(['opaque', 'transparent']).optional(),
  start: z.object({
    dateTime: z.string().optional(),
    date: z.string().optional(),
    timeZone: z.string().optional(),
  }),
  end: z.object({
    dateTime: z.string().optional(),
    date: z.string().optional(),
    timeZone: z.string().optional(),
  }),
  attendees: z.array(z.object({ email: z.string(), displayName: z.string().optional() })).optional(),
  extendedProperties: z.object({ private: z.record(z.string(), z.string()).optional() }).optional(),
});
const FreeBusyBody = z.object({
  timeMin: z.string(),
  timeMax: z.string(),
  items: z.array(z.object({ id: z.string() })),
});
/** RFC 3339 with an offset, as Google requires when no timeZone is given. */
const WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

function calendarError(reply: FastifyReply, code: number, reason: string, message: string) {
  const status =
    code === 404
      ? 'NOT_FOUND'
      : code === 403
        ? 'PERMISSION_DENIED'
        : code === 409
          ? 'ALREADY_EXISTS'
          : undefined;
  return reply.code(code).send({
    error: {
      code,
      message,
      errors: [{ domain: 'global', reason, message }],
      ...(status ? { status } : {}),
    },
  });
}

export function registerCalendar(
  app: FastifyInstance,
  deps: {
    tokens: Map<string, CalendarGrant>;
    faults: FaultInjector;
    isMailbox: (address: string) => boolean;
  },
): SimCalendar {
  const calendars = new Map<string, { timeZone: string; events: Map<string, SimCalendarEvent> }>();
  const calendarOf = (mailbox: string) => {
    const key = mailbox.toLowerCase();
    let cal = calendars.get(key);
    if (!cal) calendars.set(key, (cal = { timeZone: 'Europe/Berlin', events: new Map() }));
    return cal;
  };
  const grantOf = (request: FastifyRequest) => (request as unknown as { grant: CalendarGrant }).grant;
  const may = (request: FastifyRequest, scopes: string[]) =>
    grantOf(request).scopes.some((s) => scopes.includes(s));
  const insufficient = (reply: FastifyReply) =>
    calendarError(reply, 403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
  /** `primary` or the rep's own address; other calendars are not shared with the service account here. */
  const ownCalendar = (request: FastifyRequest<{ Params: { calendarId: string } }>) => {
    const id = decodeURIComponent(request.params.calendarId).toLowerCase();
    const mailbox = grantOf(request).mailbox;
    return id === 'primary' || id === mailbox ? calendarOf(mailbox) : null;
  };

  const view = (e: SimCalendarEvent, mailbox: string) => ({
    kind: 'calendar#event',
    etag: `"${Date.parse(e.updated)}000"`,
    id: e.id,
    status: e.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${e.id} ${mailbox}`).toString('base64url')}`,
    created: e.created,
    updated: e.updated,
    summary: e.summary,
    description: e.description,
    creator: { email: mailbox, self: true },
    organizer: { email: mailbox, self: true },
    start: { dateTime: e.start, timeZone: 'UTC' },
    end: { dateTime: e.end, timeZone: 'UTC' },
    iCalUID: `${e.id}@google.com`,
    sequence: 0,
    ...(e.attendees.length ? { attendees: e.attendees } : {}),
    ...(Object.keys(e.privateProperties).length
      ? { extendedProperties: { private: e.privateProperties } }
      : {}),
    ...(e.transparency === 'transparent' ? { transparency: 'transparent' } : {}),
    reminders: { useDefault: true },
    eventType: 'default',
  });

  const addEvent = (mailbox: string, input: Omit<SimCalendarEvent, 'created' | 'updated'>) => {
    const now = new Date().toISOString();
    const event = { ...input, created: now, updated: now };
    calendarOf(mailbox).events.set(event.id, event);
    return event;
  };

  app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        deps.faults.record(request);
        const auth = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
        const grant = auth ? deps.tokens.get(auth) : undefined;
        if (!grant || grant.expires < Date.now()) {
          return calendarError(reply, 401, 'authError', 'Request had invalid authentication credentials.');
        }
        (request as unknown as { grant: CalendarGrant }).grant = grant;
        const fault = deps.faults.take(request);
        if (!fault) return;
        if (await applyTransportFault(fault, reply, '{"kind":')) return reply;
        if (fault.retryAfterSeconds !== undefined)
          reply.header('retry-after', String(fault.retryAfterSeconds));
        if (fault.status === 429)
          return calendarError(reply, 429, 'rateLimitExceeded', 'Rate Limit Exceeded');
        if (fault.status === 403)
          return calendarError(reply, 403, 'userRateLimitExceeded', 'User Rate Limit Exceeded');
        if (fault.status)
          return calendarError(
            reply,
            fault.status,
            fault.status >= 500 ? 'backendError' : 'invalid',
            'Backend Error',
          );
      });
      api.addHook('preHandler', async (request) => recordBody(request));

      api.post('/freeBusy', async (request, reply) => {
        if (!may(request, [...CALENDAR_SCOPES.read, ...CALENDAR_SCOPES.freebusy])) return insufficient(reply);
        const body = FreeBusyBody.safeParse(request.body);
        if (!body.success) return calendarError(reply, 400, 'required', 'Missing timeMin or timeMax.');
        const from = Date.parse(body.data.timeMin);
        const to = Date.parse(body.data.timeMax);
        const out: Record<string, unknown> = {};
        for (const { id } of body.data.items) {
          if (!deps.isMailbox(id)) {
            out[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
            continue;
          }
          const busy = [...calendarOf(id).events.values()]
            .filter((e) => e.status !== 'cancelled' && e.transparency !== 'transparent')
            .map((e) => [Math.max(Date.parse(e.start), from), Math.min(Date.parse(e.end), to)] as const)
            .filter(([s, e]) => s < e)
            .sort((a, b) => a[0] - b[0]);
          // Google answers merged busy periods, not the events behind them.
          const merged: [number, number][] = [];
          for (const [s, e] of busy) {
            const last = merged.at(-1);
            if (last && s <= last[1]) last[1] = Math.max(last[1], e);
            else merged.push([s, e]);
          }
          out[id] = { busy: merged.map(([s, e]) => ({ start: iso(s), end: iso(e) })) };
        }
        return {
          kind: 'calendar#freeBusy',
          timeMin: body.data.timeMin,
          timeMax: body.data.timeMax,
          calendars: out,
        };
      });

      api.get(
        '/users/me/settings/:setting',
        async (request: FastifyRequest<{ Params: { setting: string } }>, reply) => {
          if (!may(request, [...CALENDAR_SCOPES.read, ...CALENDAR_SCOPES.settings]))
            return insufficient(reply);
          if (request.params.setting !== 'timezone')
            return calendarError(reply, 404, 'notFound', 'Not Found');
          const value = calendarOf(grantOf(request).mailbox).timeZone;
          return {
            kind: 'calendar#setting',
            etag: `"${randomBytes(6).toString('hex')}"`,
            id: 'timezone',
            value,
          };
        },
      );

      type EventsRoute = FastifyRequest<{
        Params: { calendarId: string };
        Querystring: Record<string, string | string[]>;
      }>;
      api.post('/calendars/:calendarId/events', async (request: EventsRoute, reply) => {
        if (!may(request, CALENDAR_SCOPES.events)) return insufficient(reply);
        const cal = ownCalendar(request);
        if (!cal) return calendarError(reply, 404, 'notFound', 'Not Found');
        const body = EventBody.safeParse(request.body);
        if (!body.success) return calendarError(reply, 400, 'required', 'Missing end time.');
        const { start, end } = body.data;
        if (!start.dateTime || !end.dateTime)
          return calendarError(
            reply,
            400,
            'required',
            'Start and end times must either both be date or both be dateTime.',
          );
        if (
          (!WITH_OFFSET.test(start.dateTime) && !start.timeZone) ||
          (!WITH_OFFSET.test(end.dateTime) && !end.timeZone)
        ) {
          return calendarError(reply, 400, 'required', 'Missing time zone definition for start time.');
        }
        if (Date.parse(end.dateTime) <= Date.parse(start.dateTime))
          return calendarError(reply, 400, 'timeRangeEmpty', 'The specified time range is empty.');
        const id = body.data.id ?? randomBytes(13).toString('hex').replace(/[w-z]/g, 'a');
        if (!/^[a-v0-9]{5,1024}$/.test(id))
          return calendarError(reply, 400, 'invalid', 'Invalid resource id value.');
        if (cal.events.has(id))
          return calendarError(reply, 409, 'duplicate', 'The requested identifier already exists.');
        const sendUpdates =
          typeof request.query.sendUpdates === 'string' ? request.query.sendUpdates : 'false';
        const mailbox = grantOf(request).mailbox;
        const event = addEvent(mailbox, {
          id,
          summary: body.data.summary ?? '',
          description: body.data.description ?? '',
          start: new Date(start.dateTime).toISOString(),
          end: new Date(end.dateTime).toISOString(),
          status: body.data.status === 'tentative' ? 'tentative' : 'confirmed',
          transparency: body.data.transparency ?? 'opaque',
          attendees: (body.data.attendees ?? []).map((a) => ({ ...a, responseStatus: 'needsAction' })),
          privateProperties: body.data.extendedProperties?.private ?? {},
          sendUpdates,
        });
        return view(event, mailbox);
      });

      api.get('/calendars/:calendarId/events', async (request: EventsRoute, reply) => {
        if (!may(request, [...CALENDAR_SCOPES.read, ...CALENDAR_SCOPES.events])) return insufficient(reply);
        const cal = ownCalendar(request);
        if (!cal) return calendarError(reply, 404, 'notFound', 'Not Found');
        const wanted = [request.query.privateExtendedProperty ?? []].flat().map((p) => p.split('='));
        const showDeleted = request.query.showDeleted === 'true';
        const items = [...cal.events.values()]
          .filter((e) => showDeleted || e.status !== 'cancelled')
          .filter((e) => wanted.every(([k, v]) => k !== undefined && e.privateProperties[k] === v))
          .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
        const mailbox = grantOf(request).mailbox;
        return {
          kind: 'calendar#events',
          etag: `"${Date.now()}000"`,
          summary: mailbox,
          updated: new Date().toISOString(),
          timeZone: cal.timeZone,
          accessRole: 'owner',
          defaultReminders: [],
          items: items.map((e) => view(e, mailbox)),
        };
      });

      type EventRoute = FastifyRequest<{ Params: { calendarId: string; eventId: string } }>;
      api.get('/calendars/:calendarId/events/:eventId', async (request: EventRoute, reply) => {
        if (!may(request, [...CALENDAR_SCOPES.read, ...CALENDAR_SCOPES.events])) return insufficient(reply);
        const event = ownCalendar(request)?.events.get(request.params.eventId);
        if (!event) return calendarError(reply, 404, 'notFound', 'Not Found');
        return view(event, grantOf(request).mailbox);
      });

      api.delete('/calendars/:calendarId/events/:eventId', async (request: EventRoute, reply) => {
        if (!may(request, CALENDAR_SCOPES.events)) return insufficient(reply);
        const event = ownCalendar(request)?.events.get(request.params.eventId);
        if (!event) return calendarError(reply, 404, 'notFound', 'Not Found');
        if (event.status === 'cancelled')
          return calendarError(reply, 410, 'deleted', 'Resource has been deleted');
        event.status = 'cancelled';
        event.updated = new Date().toISOString();
        return reply.code(204).send();
      });
    },
    { prefix: '/calendar/v3' },
  );

  return {
    events: (mailbox) => [...calendarOf(mailbox).events.values()],
    addEvent: (mailbox, start, end, summary = 'Busy') =>
      addEvent(mailbox, {
        id: randomBytes(13).toString('hex').replace(/[w-z]/g, 'a'),
        summary,
        description: '',
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        status: 'confirmed',
        transparency: 'opaque',
        attendees: [],
        privateProperties: {},
        sendUpdates: 'none',
      }),
    setTimeZone: (mailbox, timeZone) => {
      calendarOf(mailbox).timeZone = timeZone;
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
