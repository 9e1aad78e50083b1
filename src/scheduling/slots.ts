import Holidays from 'date-holidays';
import { DateTime, type Zone } from 'luxon';
import { findIana } from 'windows-iana';
import { z } from 'zod';
import type { SchedulingPolicy } from '../policy.ts';
import type { NotBefore, SlotPreferences } from './preferences.ts';
import { cachedZone } from './zone-cache.ts';

/**
 * Free appointment slots, computed in code: the owner's working days and hours in their mailbox time
 * zone, minus busy calendar blocks and public holidays, at least the lead time from now, within the
 * horizon, and matching the contact's wishes read in the contact's own time zone. Pure: the clock,
 * the calendar and the settings are passed in.
 */
export const Slot = z.object({ start: z.iso.datetime(), end: z.iso.datetime() });
export type Slot = z.infer<typeof Slot>;

export interface WorkingHours {
  /** ISO weekdays, 1 = Monday. */
  days: number[];
  /** Minutes after local midnight. */
  start: number;
  end: number;
  /** IANA zone name. */
  timeZone: string;
}

/** A block that is not free (busy, tentative, out of office); ISO date-times with an offset or Z. */
export interface BusyBlock {
  start: string;
  end: string;
}

export interface SlotQuery {
  now: Date;
  busy: BusyBlock[];
  workingHours: WorkingHours;
  /** IANA zone the contact's wishes ("mornings") are meant in. */
  contactTimeZone: string;
  preferences: SlotPreferences;
  scheduling: Pick<
    SchedulingPolicy,
    'slotMinutes' | 'leadTime' | 'horizonDays' | 'slotsOffered' | 'holidayRegion'
  >;
}

const ianaNames = new Map<string, string | undefined>();

/** An IANA name, or a Windows name such as "W. Europe Standard Time" (Graph returns both); else undefined. */
export function toIanaZone(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  // Remembered per name (the tz data does not change while running): every draft asks for its mailbox's.
  if (ianaNames.has(name)) return ianaNames.get(name);
  const iana = lookUpIanaZone(name);
  if (ianaNames.size >= 1_000) ianaNames.clear();
  ianaNames.set(name, iana);
  return iana;
}

function lookUpIanaZone(name: string): string | undefined {
  // HubSpot's hs_timezone spells IANA names as "europe_slash_berlin", "america_slash_new_york".
  if (name.includes('_slash_')) {
    const iana = name
      .split('_slash_')
      .map((part) =>
        part
          .split('_')
          .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
          .join('_'),
      )
      .join('/');
    return DateTime.now().setZone(iana).isValid ? iana : undefined;
  }
  if (DateTime.now().setZone(name).isValid) return name;
  return findIana(name)?.[0];
}

const holidayCache = new Map<string, Set<string>>();

/** Public holidays (type public) of the region in one year, as yyyy-MM-dd. */
export function publicHolidays(region: string, year: number): Set<string> {
  const key = `${region}:${year}`;
  let days = holidayCache.get(key);
  if (!days) {
    const [country, state] = region.split('-');
    const hd = state ? new Holidays(country!, state) : new Holidays(country!);
    days = new Set(
      hd
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    holidayCache.set(key, days);
  }
  return days;
}

/** The first moment the contact accepts, in their zone, or undefined for no limit. */
export function earliestDay(notBefore: NotBefore | undefined, today: DateTime): DateTime | undefined {
  if (!notBefore) return undefined;
  if (notBefore.kind === 'next_week') return today.startOf('week').plus({ weeks: 1 });
  // The next such date on or after today; a day without month that has passed means next month.
  let candidate: DateTime | undefined;
  for (let i = 0; i < 24 && !candidate; i++) {
    const base = today.startOf('month').plus({ months: i });
    if (notBefore.month !== undefined && base.month !== notBefore.month) continue;
    const date = base.set({ day: notBefore.day });
    if (date.month === base.month && date.day === notBefore.day && date >= today.startOf('day'))
      candidate = date;
  }
  return candidate && notBefore.exclusive ? candidate.plus({ days: 1 }) : candidate;
}

export function findSlots(query: SlotQuery): Slot[] {
  const { workingHours: wh, preferences: pref, scheduling } = query;
  const now = DateTime.fromJSDate(query.now);
  const notBefore = now.toMillis() + scheduling.leadTime;
  // Offsets remembered per instant (zone-cache.ts): the loop below asks for thousands of them.
  const ownerZone = cachedZone(wh.timeZone);
  const contactZone = cachedZone(query.contactTimeZone);
  const contactToday = now.setZone(contactZone).startOf('day');
  const contactFrom = wishStart(pref, contactToday)?.toMillis();
  const horizon = searchHorizon(now.setZone(ownerZone).startOf('day'), scheduling.horizonDays, contactFrom);
  const busy = mergeBusy(query.busy);
  let nextBusy = 0;
  let lastStart = -Infinity;
  const step = scheduling.slotMinutes;

  /** Free slots' starts, epoch ms, in the order found (time order). */
  const candidates: number[] = [];
  // The offer takes the earliest slot of each day first: once `slotsOffered` days have one, later
  // days cannot change it, so the search stops there instead of walking the whole horizon.
  let daysWithSlots = 0;
  for (
    let day = now.setZone(ownerZone).startOf('day');
    day < horizon && daysWithSlots < scheduling.slotsOffered;
    day = day.plus({ days: 1 })
  ) {
    const before = candidates.length;
    if (!wh.days.includes(day.weekday)) continue;
    if (publicHolidays(scheduling.holidayRegion, day.year).has(day.toISODate()!)) continue;
    // Wall-clock times of the owner's day. On a day with one UTC offset throughout they are plain
    // milliseconds from midnight; on a DST-change day luxon places them (gap and overlap rules).
    const midnight = day.toMillis();
    const steady =
      day.hour === 0 &&
      day.minute === 0 &&
      ownerZone.offset(midnight) === ownerZone.offset(midnight + 86_400_000);
    for (let minute = wh.start; minute + step <= wh.end; minute += step) {
      const start = steady
        ? midnight + minute * 60_000
        : day.set({ hour: Math.floor(minute / 60), minute: minute % 60 }).toMillis();
      const end = start + step * 60_000;
      if (start < notBefore) continue;
      // Candidate starts grow (but for a slot luxon moves out of a DST gap), so blocks that ended
      // before this one never matter again.
      if (start < lastStart) nextBusy = 0;
      lastStart = start;
      while (nextBusy < busy.length && busy[nextBusy]!.end <= start) nextBusy++;
      if (nextBusy < busy.length && busy[nextBusy]!.start < end) continue;
      if (!matches(start, end, pref, contactZone, contactFrom)) continue;
      candidates.push(start);
    }
    if (candidates.length > before) daysWithSlots++;
  }
  return spreadOffer(candidates, ownerZone, scheduling.slotsOffered, step);
}

/**
 * The offer from the candidate slots (in time order, in the owner's zone): the earliest slot of each
 * day first, then filled up from what is left, `count` at most, in time order as UTC ISO strings.
 */
export function spreadOffer(
  candidates: readonly number[],
  zone: Zone,
  count: number,
  slotMinutes: number,
): Slot[] {
  const picked: number[] = [];
  const days = new Set<number>();
  for (const c of candidates) {
    if (picked.length >= count) break;
    // The owner's local day: epoch days of the wall clock.
    const day = Math.floor((c + zone.offset(c) * 60_000) / 86_400_000);
    if (!days.has(day)) {
      days.add(day);
      picked.push(c);
    }
  }
  for (const c of candidates) {
    if (picked.length >= count) break;
    if (!picked.includes(c)) picked.push(c);
  }
  return picked
    .sort((a, b) => a - b)
    .map((s) => ({ start: utcIso(s), end: utcIso(s + slotMinutes * 60_000) }));
}

/** "2026-12-01T09:00:00Z" (milliseconds only when there are some, as luxon's suppressMilliseconds). */
const utcIso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

// Date-times with seconds and an offset or Z, as the calendar connectors give them, read from their
// fields (fractions cut to milliseconds, as luxon does): far faster than luxon or Date.parse. A field
// out of range ("02-30", "24:00") goes to luxon, which reads or rejects it.
const OFFSET_DATE_TIME =
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3})\d*)?(?:Z|([+-])(\d\d):(\d\d))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (year: number, month: number) =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1]!;

/** Epoch milliseconds of an ISO date-time with an offset (a calendar block's start or end). */
export function instant(iso: string): number {
  const m = OFFSET_DATE_TIME.exec(iso);
  if (m) {
    const [year, month, day, hour, minute, second] = [
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    ];
    const fraction = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
    const offsetMs = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000 : 0;
    const inRange =
      year >= 1000 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      hour <= 23 &&
      minute <= 59 &&
      second <= 59;
    if (inRange) return Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMs;
  }
  return DateTime.fromISO(iso, { setZone: true }).toMillis();
}

/** Busy blocks as disjoint intervals in time order (overlapping and touching blocks merged), epoch ms. */
function mergeBusy(blocks: readonly BusyBlock[]): { start: number; end: number }[] {
  const sorted = blocks
    .map((b) => ({ start: instant(b.start), end: instant(b.end) }))
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const b of sorted) {
    // An unreadable time (NaN) never overlaps anything; nor does a block that ends before it starts.
    if (Number.isNaN(b.start) || Number.isNaN(b.end) || b.end < b.start) continue;
    const last = merged.at(-1);
    if (last && b.start <= last.end) last.end = Math.max(last.end, b.end);
    else merged.push({ ...b });
  }
  return merged;
}

/** The furthest a wish may move the search (a wish beyond it offers nothing and says why). */
export const MAX_WISH_HORIZON_DAYS = 60;

/**
 * The end of the search: the policy's horizon, or, when the contact's wish starts later ("erst ab
 * nächstem Monat"), the same span counted from the wish's first day, never beyond the maximum.
 */
export function searchHorizon(
  ownerToday: DateTime,
  horizonDays: number,
  wishFrom: number | undefined,
): DateTime {
  const plain = ownerToday.plus({ days: horizonDays + 1 });
  if (wishFrom === undefined) return plain;
  const moved = DateTime.fromMillis(wishFrom, { zone: ownerToday.zone })
    .startOf('day')
    .plus({ days: horizonDays + 1 });
  if (moved <= plain) return plain;
  const max = ownerToday.plus({ days: MAX_WISH_HORIZON_DAYS + 1 });
  return moved < max ? moved : max;
}

/** The first moment a wish accepts: the later of "not before" and a named period's first day. */
export function wishStart(pref: SlotPreferences, contactToday: DateTime): DateTime | undefined {
  const notBefore = earliestDay(pref.notBefore, contactToday);
  const from = pref.from ? DateTime.fromISO(pref.from, { zone: contactToday.zone }) : undefined;
  if (!notBefore) return from;
  return from && from > notBefore ? from : notBefore;
}

/** Local day number (days since 1970-01-01) of a yyyy-MM-dd date. */
const dayNumber = (date: string) =>
  Math.floor(
    Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000,
  );

/** Weekday-bound windows (exclusions, alternatives): does [s, e) of one local day touch/lie in one? */
const inWindow = (
  w: { weekdays: number[]; fromMinute: number; toMinute: number },
  weekday: number,
  s: number,
  e: number,
) => (w.weekdays.length === 0 || w.weekdays.includes(weekday)) && s >= w.fromMinute && e <= w.toMinute;
const touchesWindow = (
  w: { weekdays: number[]; fromMinute: number; toMinute: number },
  weekday: number,
  s: number,
  e: number,
) => (w.weekdays.length === 0 || w.weekdays.includes(weekday)) && s < w.toMinute && e > w.fromMinute;

/** Whether one slot (a counter-proposal) meets the contact's wishes, read in their zone. */
export function fitsWishes(slot: Slot, pref: SlotPreferences, contactTimeZone: string, now: Date): boolean {
  const zone = cachedZone(contactTimeZone);
  const from = wishStart(pref, DateTime.fromJSDate(now).setZone(zone).startOf('day'))?.toMillis();
  return matches(instant(slot.start), instant(slot.end), pref, zone, from);
}

/** Whether a slot lies in the owner's working hours (their zone), not on a public holiday. */
export function inWorkingHours(slot: Slot, wh: WorkingHours, holidayRegion: string): boolean {
  const zone = cachedZone(wh.timeZone);
  const s = wallClock(instant(slot.start), zone);
  const e = wallClock(instant(slot.end), zone);
  if (e.day !== s.day || !wh.days.includes(s.weekday)) return false;
  const date = DateTime.fromMillis(instant(slot.start), { zone });
  if (publicHolidays(holidayRegion, date.year).has(date.toISODate()!)) return false;
  return s.minute >= wh.start && e.minute <= wh.end;
}

/** The contact's wishes, read on the slot's wall clock in their zone (epoch milliseconds in). */
function matches(
  start: number,
  end: number,
  pref: SlotPreferences,
  zone: Zone,
  from: number | undefined,
): boolean {
  if (from !== undefined && start < from) return false;
  const s = wallClock(start, zone);
  const e = wallClock(end, zone);
  if (pref.until !== undefined && s.day > dayNumber(pref.until)) return false;
  if (pref.from !== undefined && s.day < dayNumber(pref.from)) return false;
  const endOfSlot = e.day > s.day ? 1440 : e.minute;
  if (pref.exclusions?.some((w) => touchesWindow(w, s.weekday, s.minute, endOfSlot))) return false;
  if (pref.windows?.length && !pref.windows.some((w) => inWindow(w, s.weekday, s.minute, endOfSlot)))
    return false;
  if (pref.weekdays.length > 0 && !pref.weekdays.includes(s.weekday)) return false;
  if (pref.excludedWeekdays.includes(s.weekday)) return false;
  // Past midnight (or before it, where the clock went back across the slot) the slot runs to the end of its start's day.
  const endMinute = startOfLocalDay(end, e.day, zone) <= start ? e.minute : 1440;
  if (pref.earliestMinute !== undefined && s.minute < pref.earliestMinute) return false;
  if (pref.latestMinute !== undefined && endMinute > pref.latestMinute) return false;
  return true;
}

/**
 * The instant the local day `day` (of the instant `ms`) begins, placed as luxon places a wall-clock
 * time (its fixOffset, trying `ms`'s own offset first): where midnight comes twice (Havana and
 * Santiago set their clocks back around midnight) that decides which, so "the same day" means here
 * what luxon's hasSame means.
 */
function startOfLocalDay(ms: number, day: number, zone: Zone): number {
  const local = day * 86_400_000;
  const o = zone.offset(ms);
  const guess = local - o * 60_000;
  const o2 = zone.offset(guess);
  if (o === o2) return guess;
  const again = guess - (o2 - o) * 60_000;
  const o3 = zone.offset(again);
  return o2 === o3 ? again : local - Math.min(o2, o3) * 60_000;
}

/** Local day number, ISO weekday and minute of the day of an instant in a zone. */
export function wallClock(ms: number, zone: Zone): { day: number; weekday: number; minute: number } {
  const local = ms + zone.offset(ms) * 60_000;
  const day = Math.floor(local / 86_400_000);
  // 1 January 1970 (day 0) was a Thursday, ISO weekday 4.
  return {
    day,
    weekday: ((((day + 3) % 7) + 7) % 7) + 1,
    minute: Math.floor((local - day * 86_400_000) / 60_000),
  };
}
