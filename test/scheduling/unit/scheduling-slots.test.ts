import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULING } from '../../../src/policy.ts';
import { parsePreferences } from '../../../src/scheduling/preferences.ts';
import { renderSlot } from '../../../src/scheduling/render.ts';
import { findSlots, instant, toIanaZone, type SlotQuery } from '../../../src/scheduling/slots.ts';

const BERLIN = 'Europe/Berlin';
const LONDON = 'Europe/London';
const WORK = { days: [1, 2, 3, 4, 5], start: 9 * 60, end: 17 * 60, timeZone: BERLIN };
const at = (iso: string, zone = BERLIN) => DateTime.fromISO(iso, { zone }).toJSDate();
const local = (iso: string, zone = BERLIN) =>
  DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).toFormat('ccc yyyy-MM-dd HH:mm');

function query(over: Partial<SlotQuery> = {}): SlotQuery {
  return {
    // Thursday 26 November 2026, 08:00 in Berlin
    now: at('2026-11-26T08:00'),
    busy: [],
    workingHours: WORK,
    contactTimeZone: BERLIN,
    preferences: parsePreferences(''),
    scheduling: { ...DEFAULT_SCHEDULING, holidayRegion: 'DE-BE' },
    ...over,
  };
}

describe('findSlots', () => {
  it('offers three slots on different days, the first after the lead time', () => {
    const slots = findSlots(query());
    expect(slots.map((s) => local(s.start))).toEqual([
      'Thu 2026-11-26 12:00',
      'Fri 2026-11-27 09:00',
      'Mon 2026-11-30 09:00',
    ]);
    for (const s of slots)
      expect(DateTime.fromISO(s.end).diff(DateTime.fromISO(s.start), 'minutes').minutes).toBe(30);
  });

  it('skips busy blocks, including ones given in another offset', () => {
    const busy = [
      { start: '2026-11-26T11:00:00Z', end: '2026-11-26T16:00:00Z' }, // Thu 12:00–17:00 Berlin: whole afternoon
      { start: '2026-11-27T09:00:00+01:00', end: '2026-11-27T10:15:00+01:00' },
    ];
    const slots = findSlots(query({ busy }));
    expect(slots.map((s) => local(s.start))).toEqual([
      'Fri 2026-11-27 10:30',
      'Mon 2026-11-30 09:00',
      'Tue 2026-12-01 09:00',
    ]);
  });

  it('returns fewer slots (or none) when the calendar is full, never an invented one', () => {
    const busy = [{ start: '2026-11-26T00:00:00Z', end: '2026-12-08T00:00:00Z' }];
    expect(findSlots(query({ busy }))).toEqual([]);
  });

  it('keeps to working hours and working days', () => {
    const slots = findSlots(
      query({
        workingHours: { days: [2, 4], start: 14 * 60, end: 15 * 60, timeZone: BERLIN },
        scheduling: { ...DEFAULT_SCHEDULING, holidayRegion: 'DE-BE', slotsOffered: 3 },
      }),
    );
    expect(slots.map((s) => local(s.start))).toEqual([
      'Thu 2026-11-26 14:00',
      'Tue 2026-12-01 14:00',
      'Thu 2026-12-03 14:00',
    ]);
  });

  it('leaves out public holidays of the region', () => {
    // Wednesday 23 December 2026, afternoon: the next working days hit Christmas (25th, 26th).
    const slots = findSlots(query({ now: at('2026-12-23T15:00') }));
    expect(slots.map((s) => local(s.start))).toEqual([
      'Thu 2026-12-24 09:00',
      'Mon 2026-12-28 09:00',
      'Tue 2026-12-29 09:00',
    ]);
    // Women's Day (8 March) is a holiday in Berlin, not in Bavaria.
    const march = query({ now: at('2027-03-05T18:00') });
    expect(local(findSlots(march)[0]!.start)).toBe('Tue 2027-03-09 09:00');
    expect(
      local(findSlots({ ...march, scheduling: { ...march.scheduling, holidayRegion: 'DE-BY' } })[0]!.start),
    ).toBe('Mon 2027-03-08 09:00');
  });

  it('keeps wall-clock working hours across the DST change', () => {
    // Friday 23 October 2026; Berlin leaves summer time on Sunday 25 October.
    const slots = findSlots(
      query({
        now: at('2026-10-23T18:00'),
        scheduling: { ...DEFAULT_SCHEDULING, holidayRegion: 'DE-BE', slotsOffered: 2 },
      }),
    );
    expect(slots.map((s) => s.start)).toEqual(['2026-10-26T08:00:00Z', '2026-10-27T08:00:00Z']);
    expect(slots.map((s) => local(s.start))).toEqual(['Mon 2026-10-26 09:00', 'Tue 2026-10-27 09:00']);
    // Before the change the same 09:00 was 07:00 UTC.
    expect(
      findSlots(
        query({ now: at('2026-10-22T18:00'), scheduling: { ...DEFAULT_SCHEDULING, slotsOffered: 2 } }),
      )[0]!.start,
    ).toBe('2026-10-23T07:00:00Z');
  });

  it("reads a morning wish in the contact's zone: rep in Berlin, contact in London", () => {
    const preferences = parsePreferences('mornings please');
    const slots = findSlots(query({ contactTimeZone: LONDON, preferences, now: at('2026-11-26T18:00') }));
    // Berlin 09:00–13:00 is London 08:00–12:00: the last morning slot in London is 11:30, Berlin 12:30.
    expect(slots.map((s) => local(s.start, LONDON))).toEqual([
      'Fri 2026-11-27 08:00',
      'Mon 2026-11-30 08:00',
      'Tue 2026-12-01 08:00',
    ]);
    const lateOnly = findSlots(
      query({
        contactTimeZone: LONDON,
        preferences,
        now: at('2026-11-26T18:00'),
        busy: [{ start: '2026-11-27T08:00:00Z', end: '2026-11-27T11:30:00Z' }],
      }),
    );
    expect(local(lateOnly[0]!.start, LONDON)).toBe('Fri 2026-11-27 11:30');
    expect(local(lateOnly[0]!.start, BERLIN)).toBe('Fri 2026-11-27 12:30');
  });

  it('applies afternoon, after-16, weekday and not-on wishes', () => {
    const pm = findSlots(query({ preferences: parsePreferences('nach 16 Uhr, nicht freitags') }));
    expect(pm.map((s) => local(s.start))).toEqual([
      'Thu 2026-11-26 16:00',
      'Mon 2026-11-30 16:00',
      'Tue 2026-12-01 16:00',
    ]);
    const tue = findSlots(query({ preferences: parsePreferences('Tuesdays, afternoon') }));
    // Only one Tuesday within the 10-day horizon: its three earliest afternoon slots.
    expect(tue.map((s) => local(s.start))).toEqual([
      'Tue 2026-12-01 12:00',
      'Tue 2026-12-01 12:30',
      'Tue 2026-12-01 13:00',
    ]);
  });

  it('starts next week or on a given date when asked to', () => {
    const next = findSlots(query({ preferences: parsePreferences('Rückruf erst nächste Woche.') }));
    expect(next.map((s) => local(s.start))).toEqual([
      'Mon 2026-11-30 09:00',
      'Tue 2026-12-01 09:00',
      'Wed 2026-12-02 09:00',
    ]);
    const third = findSlots(query({ preferences: parsePreferences('not before the 3rd') }));
    expect(local(third[0]!.start)).toBe('Thu 2026-12-03 09:00');
    const after = findSlots(query({ preferences: parsePreferences('nach dem 3.') }));
    expect(local(after[0]!.start)).toBe('Fri 2026-12-04 09:00');
  });
});

describe('toIanaZone', () => {
  it.each([
    ['W. Europe Standard Time', 'Europe/Berlin'],
    ['GMT Standard Time', 'Europe/London'],
    ['Europe/Berlin', 'Europe/Berlin'],
    ['Pacific Standard Time', 'America/Los_Angeles'],
    ['europe_slash_london', 'Europe/London'],
    ['america_slash_new_york', 'America/New_York'],
  ])('%s → %s', (name, iana) => expect(toIanaZone(name)).toBe(iana));
  it('gives undefined for an unknown name', () => expect(toIanaZone('Mars Standard Time')).toBeUndefined());
});

describe('instant', () => {
  const byLuxon = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toMillis();

  it('reads what luxon reads: any instant, offset and fraction', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom('', '.5', '.25', '.123', '.1234567'),
        (ms, offsetMinutes, fraction) => {
          const wall = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset =
            offsetMinutes === 0 && ms % 2 === 0
              ? 'Z'
              : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const iso = `${wall}${fraction}${offset}`;
          expect(instant(iso)).toBe(byLuxon(iso));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it.each([
    '2024-02-29T10:00:00Z',
    '2023-02-29T10:00:00Z',
    '2100-02-29T00:00:00Z',
    '2000-02-29T00:00:00+01:00',
    '2026-04-31T09:00:00Z',
    '2026-12-01T24:00:00Z',
    '2026-12-01T23:60:00Z',
    '2026-12-01T10:00:00',
    '2026-12-01T10:00Z',
    '0099-01-01T00:00:00Z',
  ])('agrees with luxon on %s (out-of-range fields, no offset, other spellings)', (iso) =>
    expect(instant(iso)).toEqual(byLuxon(iso)),
  );
});

describe('renderSlot', () => {
  const slot = { start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:30:00Z' };
  it("renders German and English in the contact's zone", () => {
    expect(renderSlot(slot, 'de', BERLIN)).toBe('Dienstag, 1. Dezember, 10:00–10:30 Uhr');
    expect(renderSlot(slot, 'en', LONDON)).toBe('Tuesday, 1 December, 09:00–09:30');
  });

  // What luxon printed before renderSlot formatted with a cached Intl formatter.
  const byLuxon = (s: { start: string; end: string }, language: 'de' | 'en', zone: string) => {
    const start = DateTime.fromISO(s.start, { zone, locale: language });
    const end = DateTime.fromISO(s.end, { zone, locale: language });
    const day = start.toFormat(language === 'de' ? 'cccc, d. LLLL' : 'cccc, d LLLL');
    const times = `${start.toFormat('HH:mm')}–${end.toFormat('HH:mm')}`;
    return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
  };

  it('prints what luxon prints, in any zone, language and instant (DST changes and odd offsets included)', () => {
    const zones = [
      BERLIN,
      LONDON,
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'America/St_Johns',
      'UTC',
      'Asia/Kathmandu',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 11, 31) }),
        fc.constantFrom(15, 30, 45, 60, 90),
        fc.constantFrom<'de' | 'en'>('de', 'en'),
        fc.constantFrom(...zones),
        (ms, minutes, language, zone) => {
          const s = {
            start: new Date(ms).toISOString().replace('.000Z', 'Z'),
            end: new Date(ms + minutes * 60_000).toISOString(),
          };
          expect(renderSlot(s, language, zone)).toBe(byLuxon(s, language, zone));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('reads a slot with an offset, and leaves an unknown zone to luxon (which says so)', () => {
    const s = { start: '2026-03-29T01:30:00+01:00', end: '2026-03-29T03:30:00+02:00' };
    expect(renderSlot(s, 'de', BERLIN)).toBe(byLuxon(s, 'de', BERLIN));
    expect(renderSlot(slot, 'en', 'Mars/Olympus')).toBe(byLuxon(slot, 'en', 'Mars/Olympus'));
  });
});
