import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import { graphError, type GraphSimState, type Mailbox, type SimEvent } from './state.ts';

/**
 * Calendar routes (mounted under /v1.0): getSchedule, mailboxSettings and events with transactionId
 * and single-value extended properties, answering like Graph: getSchedule's times are zone-less wall
 * clock in the `Prefer: outlook.timezone` zone (UTC without it), workingHours carry the mailbox's
 * Windows zone name, and a second POST with a known transactionId returns the first event.
 */
const SHOW_AS_DIGIT: Record<string, string> = {
  free: '0',
  workingElsewhere: '0',
  tentative: '1',
  busy: '2',
  oof: '3',
};

const zoneOf = (request: FastifyRequest) =>
  String(request.headers.prefer ?? '').match(/outlook\.timezone="([^"]+)"/i)?.[1] ?? 'UTC';
const ianaOf = (name: string) =>
  DateTime.now().setZone(name).isValid ? name : (findIana(name)?.[0] ?? 'UTC');
/** A Graph dateTimeTimeZone in `zone`: "2019-03-15T12:00:00.0000000". */
const wallClock = (iso: string, zone: string) => ({
  dateTime: `${DateTime.fromISO(iso, { zone: 'utc' }).setZone(ianaOf(zone)).toFormat("yyyy-MM-dd'T'HH:mm:ss")}.0000000`,
  timeZone: zone,
});
/** dateTimeTimeZone → UTC ISO. */
const fromGraph = (v: { dateTime: string; timeZone?: string }) =>
  DateTime.fromISO(v.dateTime.replace(/(\.\d{3})\d*$/, '$1'), { zone: ianaOf(v.timeZone ?? 'UTC') })
    .toUTC()
    .toISO({ suppressMilliseconds: true })!;

export function calendarRoutes(graph: FastifyInstance, state: GraphSimState): void {
  const boxOf = (user: string) => state.findMailbox(decodeURIComponent(user));

  graph.get<{ Params: { user: string } }>('/users/:user/mailboxSettings', async (request, reply) => {
    const box = boxOf(request.params.user);
    if (!box) return graphError(reply, 404, 'ErrorInvalidUser', 'The requested user is invalid.');
    return {
      '@odata.context': `${state.origin}/v1.0/$metadata#users('${box.upn}')/mailboxSettings`,
      timeZone: box.calendar.timeZone,
      language: { locale: 'de-DE', displayName: 'Deutsch (Deutschland)' },
      workingHours: {
        ...box.calendar.workingHours,
        timeZone: { name: box.calendar.workingHours.timeZone.name },
      },
    };
  });

  graph.post<{
    Params: { user: string };
    Body: {
      schedules?: string[];
      startTime?: { dateTime: string; timeZone: string };
      endTime?: { dateTime: string; timeZone: string };
      availabilityViewInterval?: number;
    };
  }>('/users/:user/calendar/getSchedule', async (request, reply) => {
    const body = request.body ?? {};
    if (!Array.isArray(body.schedules) || !body.startTime || !body.endTime)
      return graphError(reply, 400, 'ErrorInvalidRequest', 'schedules, startTime and endTime are required.');
    const from = fromGraph(body.startTime);
    const to = fromGraph(body.endTime);
    const interval = body.availabilityViewInterval ?? 30;
    const zone = zoneOf(request);
    return {
      '@odata.context': `${state.origin}/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)`,
      value: body.schedules.map((scheduleId) => {
        const box = state.findMailbox(scheduleId);
        if (!box)
          return {
            scheduleId,
            availabilityView: '',
            scheduleItems: [],
            error: {
              message: 'The requested user is not found.',
              responseCode: 'ErrorMailRecipientNotFound',
            },
          };
        // Event times are UTC ISO strings, so epoch milliseconds compare and step them exactly; parsing
        // each event once keeps a fortnight's view at 15-minute steps cheap for the bench's load.
        const fromMs = Date.parse(from);
        const toMs = Date.parse(to);
        const items = [...box.events.values()]
          .map((e) => ({
            e,
            start: Date.parse(e.start),
            end: Date.parse(e.end),
            digit: SHOW_AS_DIGIT[e.showAs] ?? '2',
          }))
          .filter((i) => i.e.showAs !== 'free' && i.start < toMs && i.end > fromMs)
          .sort((a, b) => a.start - b.start);
        const step = interval * 60_000;
        const view: string[] = [];
        for (let t = fromMs; t < toMs; t += step) {
          let worst = '0';
          for (const i of items) if (i.start < t + step && i.end > t && i.digit > worst) worst = i.digit;
          view.push(worst);
        }
        return {
          scheduleId,
          availabilityView: view.join(''),
          scheduleItems: items.map(({ e }) => ({
            isPrivate: false,
            status: e.showAs,
            subject: e.subject,
            location: '',
            start: wallClock(e.start, zone),
            end: wallClock(e.end, zone),
          })),
          workingHours: {
            ...box.calendar.workingHours,
            timeZone: { name: box.calendar.workingHours.timeZone.name },
          },
        };
      }),
    };
  });

  graph.post<{ Params: { user: string }; Body: Record<string, unknown> }>(
    '/users/:user/events',
    async (request, reply) => {
      const box = boxOf(request.params.user);
      if (!box) return graphError(reply, 404, 'ErrorInvalidUser', 'The requested user is invalid.');
      const body = request.body ?? {};
      const transactionId = typeof body.transactionId === 'string' ? body.transactionId : undefined;
      const existing = transactionId
        ? [...box.events.values()].find((e) => e.transactionId === transactionId)
        : undefined;
      if (existing) return reply.code(201).send(eventView(state, box, existing));
      const start = body.start as { dateTime: string; timeZone: string } | undefined;
      const end = body.end as { dateTime: string; timeZone: string } | undefined;
      if (!start || !end) return graphError(reply, 400, 'ErrorInvalidRequest', 'start and end are required.');
      const event: SimEvent = {
        id: `AAMkAGI${randomBytes(30).toString('base64url')}=`,
        subject: String(body.subject ?? ''),
        start: fromGraph(start),
        end: fromGraph(end),
        showAs: String(body.showAs ?? 'busy'),
        ...(transactionId ? { transactionId } : {}),
        attendees: (body.attendees as SimEvent['attendees']) ?? [],
        body: (body.body as SimEvent['body']) ?? { contentType: 'text', content: '' },
        isOnlineMeeting: body.isOnlineMeeting === true,
        singleValueExtendedProperties:
          (body.singleValueExtendedProperties as SimEvent['singleValueExtendedProperties']) ?? [],
      };
      box.events.set(event.id, event);
      return reply.code(201).send(eventView(state, box, event));
    },
  );

  graph.get<{ Params: { user: string }; Querystring: { $filter?: string } }>(
    '/users/:user/events',
    async (request, reply) => {
      const box = boxOf(request.params.user);
      if (!box) return graphError(reply, 404, 'ErrorInvalidUser', 'The requested user is invalid.');
      const ep = request.query.$filter?.match(
        /ep\/id eq '((?:[^']|'')*)' and ep\/value eq '((?:[^']|'')*)'/i,
      );
      const events = [...box.events.values()].filter(
        (e) =>
          !ep ||
          e.singleValueExtendedProperties.some(
            (p) =>
              p.id.toLowerCase() === ep[1]!.replace(/''/g, "'").toLowerCase() &&
              p.value === ep[2]!.replace(/''/g, "'"),
          ),
      );
      return {
        '@odata.context': `${state.origin}/v1.0/$metadata#users('${box.upn}')/events`,
        value: events.map((e) => eventView(state, box, e)),
      };
    },
  );

  graph.delete<{ Params: { user: string; id: string } }>(
    '/users/:user/events/:id',
    async (request, reply) => {
      const box = boxOf(request.params.user);
      if (!box?.events.delete(request.params.id))
        return graphError(
          reply,
          404,
          'ErrorItemNotFound',
          'The specified object was not found in the store.',
        );
      return reply.code(204).send();
    },
  );
}

function eventView(state: GraphSimState, box: Mailbox, e: SimEvent) {
  return {
    '@odata.context': `${state.origin}/v1.0/$metadata#users('${box.upn}')/events/$entity`,
    id: e.id,
    subject: e.subject,
    showAs: e.showAs,
    ...(e.transactionId ? { transactionId: e.transactionId } : {}),
    start: wallClock(e.start, 'UTC'),
    end: wallClock(e.end, 'UTC'),
    attendees: e.attendees,
    body: e.body,
    isOnlineMeeting: e.isOnlineMeeting,
    singleValueExtendedProperties: e.singleValueExtendedProperties,
  };
}
