import fc from 'fast-check';
import { DateTime, type Zone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULING } from '../../../src/policy.ts';
import type { NotBefore, SlotPreferences } from '../../../src/scheduling/preferences.ts';
import {
  earliestDay,
  findSlots,
  publicHolidays,
  searchHorizon,
  spreadOffer,
  type SlotQuery,
} from '../../../src/scheduling/slots.ts';
import { cachedZone } from '../../../src/scheduling/zone-cache.ts';

/**
 * findSlots' fast paths (milliseconds on days with one UTC offset, wall clocks from the zone's
 * offset, stopping once enough days have a slot) against the plain definition: every slot of the
 * horizon placed and compared with luxon, then the offer picked from all of them (the picking rule,
 * spreadOffer, and the contact's earliest day are production's own: neither is a fast path). Zones include
 * half-hour DST (Lord Howe), 12:45 offsets (Chatham) and DST changes at midnight (Havana, Santiago).
 */
const ZONES = [
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'UTC',
  'Pacific/Chatham',
  'America/Havana',
  'America/Santiago',
  'Asia/Beirut',
  'Africa/Casablanca',
];

/** 2026's DST changes of the zones above: [zone, day]. Havana and Santiago change at midnight. */
const DST_CHANGES: [string, string][] = [
  ['Europe/Berlin', '2026-03-29'],
  ['Europe/Berlin', '2026-10-25'],
  ['Europe/London', '2026-03-29'],
  ['Europe/London', '2026-10-25'],
  ['America/New_York', '2026-03-08'],
  ['America/New_York', '2026-11-01'],
  ['America/Havana', '2026-03-08'],
  ['America/Havana', '2026-11-01'],
  ['America/Santiago', '2026-04-05'],
  ['America/Santiago', '2026-09-06'],
  ['Asia/Beirut', '2026-03-29'],
  ['Asia/Beirut', '2026-10-25'],
  ['Australia/Lord_Howe', '2026-04-05'],
  ['Australia/Lord_Howe', '2026-10-04'],
  ['Pacific/Chatham', '2026-04-05'],
  ['Pacific/Chatham', '2026-09-27'],
];

function reference(query: SlotQuery): ReturnType<typeof findSlots> {
  const { workingHours: wh, preferences: pref, scheduling } = query;
  const now = DateTime.fromJSDate(query.now);
  const notBeforeTime = now.plus({ milliseconds: scheduling.leadTime });
  const contactFrom = earliestDay(pref.notBefore, now.setZone(query.contactTimeZone).startOf('day'));
  // A wish beyond the horizon moves the search there (searchHorizon has its own tests).
  const horizon = searchHorizon(
    now.setZone(wh.timeZone).startOf('day'),
    scheduling.horizonDays,
    contactFrom?.toMillis(),
  );
  const busy = query.busy.map((b) => ({
    start: DateTime.fromISO(b.start, { setZone: true }).toMillis(),
    end: DateTime.fromISO(b.end, { setZone: true }).toMillis(),
  }));
  const step = scheduling.slotMinutes;
  const candidates: DateTime[] = [];
  for (let day = now.setZone(wh.timeZone).startOf('day'); day < horizon; day = day.plus({ days: 1 })) {
    if (!wh.days.includes(day.weekday)) continue;
    if (publicHolidays(scheduling.holidayRegion, day.year).has(day.toISODate()!)) continue;
    for (let minute = wh.start; minute + step <= wh.end; minute += step) {
      const start = day.set({ hour: Math.floor(minute / 60), minute: minute % 60 });
      const end = start.plus({ minutes: step });
      if (start < notBeforeTime) continue;
      if (busy.some((b) => b.start < end.toMillis() && b.end > start.toMillis())) continue;
      if (!matches(start, end, pref, query.contactTimeZone, contactFrom)) continue;
      candidates.push(start);
    }
  }
  // The offer's rule itself (spreadOffer) is shared: what differs is which candidates reach it.
  return spreadOffer(
    candidates.map((c) => c.toMillis()),
    cachedZone(wh.timeZone),
    scheduling.slotsOffered,
    step,
  );
}

function matches(
  start: DateTime,
  end: DateTime,
  pref: SlotPreferences,
  zone: string | Zone,
  from: DateTime | undefined,
): boolean {
  const s = start.setZone(zone);
  const e = end.setZone(zone);
  if (from && s < from) return false;
  if (pref.weekdays.length > 0 && !pref.weekdays.includes(s.weekday)) return false;
  if (pref.excludedWeekdays.includes(s.weekday)) return false;
  const startMinute = s.hour * 60 + s.minute;
  const endMinute = e.hasSame(s, 'day') ? e.hour * 60 + e.minute : 1440;
  if (pref.earliestMinute !== undefined && startMinute < pref.earliestMinute) return false;
  if (pref.latestMinute !== undefined && endMinute > pref.latestMinute) return false;
  return true;
}

const weekdays = fc.subarray([1, 2, 3, 4, 5, 6, 7]);
const notBefore: fc.Arbitrary<NotBefore | undefined> = fc.option(
  fc.oneof(
    fc.constant({ kind: 'next_week' as const }),
    fc.record({
      kind: fc.constant('date' as const),
      day: fc.integer({ min: 1, max: 31 }),
      month: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      exclusive: fc.boolean(),
    }),
  ),
  { nil: undefined },
) as fc.Arbitrary<NotBefore | undefined>;

const query: fc.Arbitrary<SlotQuery> = fc
  .record({
    // Any minute of 2026–2027 in any zone, or (half the cases) the owner's zone in the three days
    // before one of its DST changes, so that the few days the offer looks at include the change.
    clock: fc.oneof(
      fc.record({
        ms: fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-01T00:00:00Z') }),
        zone: fc.constantFrom(...ZONES),
      }),
      fc
        .tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: 0, max: 3 * 1440 }))
        .map(([[zone, day], minutes]) => ({ ms: Date.parse(`${day}T12:00:00Z`) - minutes * 60_000, zone })),
    ),
    busy: fc.array(fc.tuple(fc.integer({ min: 0, max: 30 * 96 }), fc.integer({ min: 1, max: 200 })), {
      maxLength: 25,
    }),
    contactZone: fc.constantFrom(...ZONES),
    days: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
    startHour: fc.integer({ min: 0, max: 20 }),
    hours: fc.integer({ min: 1, max: 24 }),
    earliest: fc.option(fc.integer({ min: 0, max: 1440 }), { nil: undefined }),
    latest: fc.option(fc.integer({ min: 0, max: 1440 }), { nil: undefined }),
    weekdays,
    excluded: weekdays,
    notBefore,
    slotsOffered: fc.integer({ min: 0, max: 6 }),
    slotMinutes: fc.constantFrom(15, 30, 45, 60),
    horizonDays: fc.integer({ min: 1, max: 21 }),
    leadTime: fc.integer({ min: 0, max: 3 * 86_400_000 }),
  })
  .map(({ clock, ...r }) => ({ ...r, now: new Date(clock.ms - (clock.ms % 60_000)), ownerZone: clock.zone }))
  .map((r) => ({
    now: r.now,
    busy: r.busy.map(([q, len]) => {
      const start = r.now.getTime() + q * 15 * 60_000;
      return { start: new Date(start).toISOString(), end: new Date(start + len * 15 * 60_000).toISOString() };
    }),
    workingHours: {
      days: r.days,
      start: r.startHour * 60,
      end: Math.min(1440, (r.startHour + r.hours) * 60),
      timeZone: r.ownerZone,
    },
    contactTimeZone: r.contactZone,
    preferences: {
      weekdays: r.weekdays,
      excludedWeekdays: r.excluded,
      ...(r.earliest !== undefined ? { earliestMinute: r.earliest } : {}),
      ...(r.latest !== undefined ? { latestMinute: r.latest } : {}),
      ...(r.notBefore ? { notBefore: r.notBefore } : {}),
    },
    scheduling: {
      ...DEFAULT_SCHEDULING,
      slotsOffered: r.slotsOffered,
      slotMinutes: r.slotMinutes,
      horizonDays: r.horizonDays,
      leadTime: r.leadTime,
      holidayRegion: 'DE-BE',
    },
  }));

describe('findSlots against its plain definition', () => {
  it('offers exactly the slots the luxon walk over the whole horizon offers', () => {
    fc.assert(
      fc.property(query, (q) => {
        expect(findSlots(q)).toEqual(reference(q));
      }),
      { numRuns: 600 },
    );
  }, 60_000);

  it("reads a contact's latest minute across Havana's clock change after midnight as luxon does", () => {
    // Havana sets its clocks back from 01:00 to 00:00 on 7 November 2027: a slot from 00:45 to the
    // second midnight does not end on the day it began (found by the property above, seed -1089638283).
    const q: SlotQuery = {
      now: new Date('2027-10-28T22:00:00Z'),
      busy: [],
      workingHours: { days: [1, 2, 3, 4, 5, 6, 7], start: 0, end: 1440, timeZone: 'Europe/Berlin' },
      contactTimeZone: 'America/Havana',
      preferences: { weekdays: [], excludedWeekdays: [], latestMinute: 0 },
      scheduling: {
        ...DEFAULT_SCHEDULING,
        slotsOffered: 400,
        slotMinutes: 15,
        horizonDays: 9,
        leadTime: 0,
        holidayRegion: 'DE-BE',
      },
    };
    expect(findSlots(q)).toEqual(reference(q));
  });

  it("spreads the offer over the owner's calendar days as luxon reads them", () => {
    // The rule as it was written on luxon DateTimes: the first slot of each day, then the rest.
    const byLuxon = (candidates: DateTime[], count: number, minutes: number) => {
      const picked: DateTime[] = [];
      const days = new Set<string>();
      for (const c of candidates) {
        if (picked.length < count && !days.has(c.toISODate()!)) {
          days.add(c.toISODate()!);
          picked.push(c);
        }
      }
      for (const c of candidates) if (picked.length < count && !picked.includes(c)) picked.push(c);
      return picked
        .sort((a, b) => a.toMillis() - b.toMillis())
        .map((c) => ({
          start: c.toUTC().toISO({ suppressMilliseconds: true })!,
          end: c.plus({ minutes }).toUTC().toISO({ suppressMilliseconds: true })!,
        }));
    };
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.integer({
            min: Date.parse('2026-01-01T00:00:00Z') / 900_000,
            max: Date.parse('2027-12-31T00:00:00Z') / 900_000,
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom(15, 30, 60),
        (quarters, zone, count, minutes) => {
          const ms = quarters.sort((a, b) => a - b).map((q) => q * 900_000);
          expect(spreadOffer(ms, cachedZone(zone), count, minutes)).toEqual(
            byLuxon(
              ms.map((m) => DateTime.fromMillis(m, { zone })),
              count,
              minutes,
            ),
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('keeps a busy block in force for a slot luxon moved out of the DST gap ahead of a later one', () => {
    // Berlin springs forward at 02:00 on 29 March 2026: 02:00 and 02:30 become 03:00 and 03:30 CEST,
    // and the walk then reaches 03:00 again. A block 03:00–03:15 CEST (01:00–01:15Z) covers both.
    const q: SlotQuery = {
      now: new Date('2026-03-28T22:00:00Z'),
      busy: [{ start: '2026-03-29T01:00:00Z', end: '2026-03-29T01:15:00Z' }],
      workingHours: { days: [7], start: 60, end: 300, timeZone: 'Europe/Berlin' },
      contactTimeZone: 'Europe/Berlin',
      preferences: { weekdays: [], excludedWeekdays: [] },
      scheduling: {
        ...DEFAULT_SCHEDULING,
        slotsOffered: 6,
        slotMinutes: 30,
        horizonDays: 1,
        leadTime: 0,
        holidayRegion: 'DE-BE',
      },
    };
    const offered = findSlots(q);
    expect(offered).toEqual(reference(q));
    expect(offered.map((s) => s.start)).not.toContain('2026-03-29T01:00:00Z');
  });
});
