import { describe, expect, it } from 'vitest';
import { UpstreamRejected, UpstreamUnavailable } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import { offerSlots, releaseHolds } from '../../../src/pipeline/slot-offer.ts';
import { DEFAULT_SCHEDULING } from '../../../src/policy.ts';
import type { CalendarEvent, CalendarPort } from '../../../src/ports.ts';

const logger = createLogger({ level: 'silent' });
// Thursday 26 November 2026, 08:00 Berlin
const now = () => new Date('2026-11-26T07:00:00Z');
const input = {
  mailbox: 'max.vertrieb@example.com',
  note: 'am besten vormittags',
  language: 'de' as const,
  requestId: 'req-unit-slots',
};

/** An in-memory calendar that dedupes by transactionId like Graph. */
function fakeCalendar(options: { busy?: { start: string; end: string }[]; fail?: Error } = {}) {
  const events: (CalendarEvent & { id: string })[] = [];
  let n = 0;
  const calendar: CalendarPort = {
    async getSchedule() {
      if (options.fail) throw options.fail;
      return [...(options.busy ?? []), ...events.map((e) => ({ start: e.start, end: e.end }))];
    },
    async getCalendarSettings() {
      return {
        timeZone: 'W. Europe Standard Time',
        workingHours: {
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          startTime: '08:00:00.0000000',
          endTime: '16:00:00.0000000',
          timeZone: 'W. Europe Standard Time',
        },
      };
    },
    async createEvent(_mailbox, event) {
      const existing = events.find((e) => e.transactionId === event.transactionId);
      if (existing) return { id: existing.id };
      const created = { ...event, id: `ev-${++n}` };
      events.push(created);
      return { id: created.id };
    },
    async listHolds(_mailbox, requestId) {
      return events
        .filter((e) => e.hold && e.requestId === requestId)
        .map((e) => ({ id: e.id, start: e.start, end: e.end }));
    },
    async deleteEvent(_mailbox, id) {
      const i = events.findIndex((e) => e.id === id);
      if (i >= 0) events.splice(i, 1);
    },
  };
  return { calendar, events };
}

describe('offerSlots', () => {
  it('uses the mailbox working hours and zone, and the morning wish', async () => {
    const { calendar } = fakeCalendar({
      busy: [{ start: '2026-11-26T11:00:00Z', end: '2026-11-26T15:00:00Z' }],
    });
    const offer = await offerSlots(
      { policy: { scheduling: DEFAULT_SCHEDULING }, calendar, logger, now },
      input,
    );
    expect(offer.source).toBe('calendar');
    expect(offer.timeZone).toBe('Europe/Berlin');
    expect(offer.texts).toEqual([
      'Freitag, 27. November, 08:00–08:30 Uhr',
      'Montag, 30. November, 08:00–08:30 Uhr',
      'Dienstag, 1. Dezember, 08:00–08:30 Uhr',
    ]);
  });

  it('without a calendar (Gmail) falls back to the policy working hours', async () => {
    const offer = await offerSlots({ policy: { scheduling: DEFAULT_SCHEDULING }, logger, now }, input);
    expect(offer.source).toBe('working_hours');
    expect(offer.texts[0]).toBe('Freitag, 27. November, 09:00–09:30 Uhr');
  });

  it('a refused calendar offers nothing; an outage is thrown for a retry', async () => {
    const refused = fakeCalendar({ fail: new UpstreamRejected('graph', 403, 'forbidden') });
    expect(
      await offerSlots(
        { policy: { scheduling: DEFAULT_SCHEDULING }, calendar: refused.calendar, logger, now },
        input,
      ),
    ).toMatchObject({ slots: [], source: 'none' });
    const down = fakeCalendar({ fail: new UpstreamUnavailable('graph', 'down') });
    await expect(
      offerSlots({ policy: { scheduling: DEFAULT_SCHEDULING }, calendar: down.calendar, logger, now }, input),
    ).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('places one tentative hold per slot; a retry neither doubles them nor avoids its own holds', async () => {
    const { calendar, events } = fakeCalendar();
    const deps = { policy: { scheduling: { ...DEFAULT_SCHEDULING, holds: true } }, calendar, logger, now };
    const first = await offerSlots(deps, input);
    const again = await offerSlots(deps, input);
    expect(again.slots).toEqual(first.slots);
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.showAs === 'tentative' && e.hold)).toBe(true);
    expect(await releaseHolds(calendar, input.mailbox, input.requestId)).toBe(3);
    expect(events).toHaveLength(0);
  });
});
