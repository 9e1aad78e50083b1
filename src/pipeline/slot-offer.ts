import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UpstreamRejected } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Language, Policy } from '../policy.ts';
import type { CalendarPort, CalendarSettings } from '../ports.ts';
import { parsePreferences, SlotPreferences } from '../scheduling/preferences.ts';
import { explainUnmet, UnmetWish } from '../scheduling/unmet.ts';
import { renderSlot } from '../scheduling/render.ts';
import { DateTime } from 'luxon';
import {
  findSlots,
  searchHorizon,
  Slot,
  toIanaZone,
  wishStart,
  type WorkingHours,
} from '../scheduling/slots.ts';

/**
 * The appointment slots a draft offers: the contact's wishes parsed locally from the raw note (before
 * anything is pseudonymised), the owner's free/busy and working hours from their calendar, and the
 * policy's slot rules. Without a calendar (a mail system that has none) the policy's working hours
 * alone decide; a calendar that refuses access (no Calendars.Read) offers nothing rather than guess.
 */
export const OfferedSlots = z.object({
  slots: z.array(Slot),
  /** As the contact reads them, in `language` and `timeZone`. */
  texts: z.array(z.string()),
  language: z.enum(['de', 'en']),
  timeZone: z.string(),
  /** calendar: free/busy and working hours from the mailbox; working_hours: the policy's hours only. */
  source: z.enum(['calendar', 'working_hours', 'none']),
  /** The note's wishes as read (codes and times only), and why no slot could meet them. */
  wishes: SlotPreferences.optional(),
  unmet: UnmetWish.optional(),
});
export type OfferedSlots = z.infer<typeof OfferedSlots>;

/** A stable UUID-shaped Graph transactionId for `key`: a retried or repeated create returns the first event. */
export function transactionIdFor(key: string): string {
  const h = createHash('sha256').update(`draftbridge:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Removes every tentative hold placed for the request (the contact chose, the draft was rejected). */
export async function releaseHolds(
  calendar: CalendarPort | undefined,
  mailbox: string,
  requestId: string,
): Promise<number> {
  if (!calendar) return 0;
  const holds = await calendar.listHolds(mailbox, requestId);
  for (const h of holds) await calendar.deleteEvent(mailbox, h.id);
  return holds.length;
}

export interface SlotOfferDeps {
  policy: Pick<Policy, 'scheduling'>;
  /** Wording for the holds' subject (the owner's calendar, in the contact's language). */
  holdSubject?: (language: Language) => string;
  calendar?: CalendarPort | undefined;
  logger: Logger;
  now?: () => Date;
}

const DAY_NUMBERS: Record<string, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The mailbox's working hours in IANA terms, or the policy's where the mailbox gives none. */
export function workingHoursFrom(settings: CalendarSettings | null, fallback: WorkingHours): WorkingHours {
  const wh = settings?.workingHours;
  const zone = toIanaZone(wh?.timeZone) ?? toIanaZone(settings?.timeZone) ?? fallback.timeZone;
  if (!wh) return { ...fallback, timeZone: zone };
  const days = wh.daysOfWeek.map((d) => DAY_NUMBERS[d]).filter((d): d is number => d !== undefined);
  const start = minutesOf(wh.startTime);
  const end = minutesOf(wh.endTime);
  return days.length > 0 && end > start
    ? { days, start, end, timeZone: zone }
    : { ...fallback, timeZone: zone };
}

export async function offerSlots(
  deps: SlotOfferDeps,
  input: {
    mailbox: string;
    note: string | null | undefined;
    language: Language;
    contactTimeZone?: string | null | undefined;
    requestId: string;
  },
): Promise<OfferedSlots> {
  const scheduling = deps.policy.scheduling;
  const now = deps.now?.() ?? new Date();
  const none = (timeZone: string): OfferedSlots => ({
    slots: [],
    texts: [],
    language: input.language,
    timeZone,
    source: 'none',
  });
  if (!scheduling.enabled) return none(scheduling.workingHours.timeZone);
  let workingHours: WorkingHours = scheduling.workingHours;
  let busy: { start: string; end: string }[] = [];
  let holds: { id: string; start: string; end: string }[] = [];
  let source: OfferedSlots['source'] = 'working_hours';
  let preferences: SlotPreferences;
  let contactTimeZone: string;
  if (deps.calendar) {
    try {
      workingHours = workingHoursFrom(
        await deps.calendar.getCalendarSettings(input.mailbox),
        scheduling.workingHours,
      );
      ({ preferences, contactTimeZone } = readWishes(input, now, workingHours));
      // As far as the search goes: a wish beyond the horizon ("ab nächstem Monat") moves it.
      const from = wishStart(
        preferences,
        DateTime.fromJSDate(now, { zone: contactTimeZone }).startOf('day'),
      )?.toMillis();
      const until = searchHorizon(
        DateTime.fromJSDate(now, { zone: workingHours.timeZone }).startOf('day'),
        scheduling.horizonDays,
        from,
      );
      busy = await deps.calendar.getSchedule(input.mailbox, now, new Date(until.toMillis() + 86_400_000));
      if (scheduling.holds) {
        // Holds from an earlier attempt of this request are ours to move, not someone's meeting.
        holds = await deps.calendar.listHolds(input.mailbox, input.requestId);
        busy = busy.filter((b) => !holds.some((h) => sameSpan(h, b)));
      }
      source = 'calendar';
    } catch (err) {
      // A refused calendar (no permission, unknown mailbox) offers nothing; an outage is retried.
      if (!(err instanceof UpstreamRejected)) throw err;
      deps.logger.warn(
        { requestId: input.requestId, code: err.code, status: err.status },
        'calendar refused; the draft asks the contact for times instead',
      );
      return none(workingHours.timeZone);
    }
  }
  ({ preferences, contactTimeZone } = readWishes(input, now, workingHours));
  const slots = findSlots({ now, busy, workingHours, contactTimeZone, preferences, scheduling });
  const unmet =
    slots.length === 0 ? explainUnmet(preferences, workingHours, contactTimeZone, now) : undefined;
  if (scheduling.holds && deps.calendar && source === 'calendar') {
    await moveHolds(deps.calendar, deps.holdSubject, input, holds, slots);
  }
  const texts = slots.map((s) => renderSlot(s, input.language, contactTimeZone));
  return {
    slots,
    texts,
    language: input.language,
    timeZone: contactTimeZone,
    source,
    wishes: preferences,
    ...(unmet ? { unmet } : {}),
  };
}

type Span = { start: string; end: string };

/** The same time span, whatever offset notation the calendar wrote it in. */
function sameSpan(a: Span, b: Span): boolean {
  return Date.parse(a.start) === Date.parse(b.start) && Date.parse(a.end) === Date.parse(b.end);
}

/**
 * Makes the owner's tentative holds match the offered slots: holds no longer offered are deleted,
 * offered slots without a hold get one (idempotent per request and start).
 */
async function moveHolds(
  calendar: CalendarPort,
  holdSubject: SlotOfferDeps['holdSubject'],
  input: { mailbox: string; language: Language; requestId: string },
  holds: readonly (Span & { id: string })[],
  slots: readonly Span[],
): Promise<void> {
  for (const h of holds)
    if (!slots.some((s) => sameSpan(s, h))) await calendar.deleteEvent(input.mailbox, h.id);
  for (const s of slots) {
    if (holds.some((h) => sameSpan(s, h))) continue;
    await calendar.createEvent(input.mailbox, {
      subject: holdSubject?.(input.language) ?? 'Hold',
      start: s.start,
      end: s.end,
      attendees: [],
      body: '',
      showAs: 'tentative',
      transactionId: transactionIdFor(`${input.requestId}:hold:${s.start}`),
      requestId: input.requestId,
      hold: true,
    });
  }
}

/** The note's wishes, read in the contact's zone (today there is what "in zwei Wochen" counts from). */
function readWishes(
  input: { note: string | null | undefined; contactTimeZone?: string | null | undefined },
  now: Date,
  workingHours: WorkingHours,
) {
  const contactTimeZone = toIanaZone(input.contactTimeZone) ?? workingHours.timeZone;
  const today = DateTime.fromJSDate(now, { zone: contactTimeZone });
  return { preferences: parsePreferences(input.note, { today }), contactTimeZone };
}
