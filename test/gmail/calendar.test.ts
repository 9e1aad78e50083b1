import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdFor, GoogleCalendar } from '../../connectors/gmail/calendar.ts';
import { UpstreamRateLimited, UpstreamRejected } from '../../src/errors.ts';
import { loadServiceAccountKey } from '../../src/gmail-key.ts';
import { startGmailSimulator, type GmailSimulator } from '../../sandbox/gmail/simulator.ts';

const OWNER = 'max.vertrieb@example.com';
const CONTACT = { address: 'erika.musterfrau@example.com', name: 'Erika Musterfrau' };

describe('Google Calendar connector (@googleapis/calendar, delegated service account) against the simulator', () => {
  let sim: GmailSimulator;
  let calendar: GoogleCalendar;

  beforeAll(async () => {
    sim = await startGmailSimulator();
    sim.addMailbox(OWNER);
    const key = loadServiceAccountKey(sim.serviceAccountKey);
    calendar = new GoogleCalendar({ key, rootUrl: sim.rootUrl, tokenUrl: sim.tokenUrl, timeoutMs: 2000 });
  });
  afterAll(() => sim.close());

  it('reads free/busy merged from the rep’s calendar and the rep’s zone; Google publishes no working hours', async () => {
    sim.calendar.addEvent(OWNER, '2027-01-11T08:00:00Z', '2027-01-11T09:00:00Z');
    sim.calendar.addEvent(OWNER, '2027-01-11T08:30:00Z', '2027-01-11T10:00:00Z');
    sim.calendar.addEvent(OWNER, '2027-01-12T13:00:00Z', '2027-01-12T14:00:00Z');
    sim.calendar.setTimeZone(OWNER, 'Europe/Vienna');
    const busy = await calendar.getSchedule(
      OWNER,
      new Date('2027-01-11T00:00:00Z'),
      new Date('2027-01-13T00:00:00Z'),
    );
    expect(busy).toEqual([
      { start: '2027-01-11T08:00:00.000Z', end: '2027-01-11T10:00:00.000Z' },
      { start: '2027-01-12T13:00:00.000Z', end: '2027-01-12T14:00:00.000Z' },
    ]);
    expect(await calendar.getCalendarSettings(OWNER)).toEqual({
      timeZone: 'Europe/Vienna',
      workingHours: null,
    });
    const fb = sim.requests.find((r) => r.path === '/calendar/v3/freeBusy')!;
    expect(fb.method).toBe('POST');
  });

  it('never reads a calendar Google could not answer for as free', async () => {
    await expect(
      calendar.getSchedule('nobody@example.com', new Date(), new Date(Date.now() + 86_400_000)),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('books once per transaction: the contact invited (sendUpdates=all), a retry returns the first event', async () => {
    const event = {
      subject: 'Rückruf',
      start: '2027-01-14T09:00:00Z',
      end: '2027-01-14T09:30:00Z',
      attendees: [CONTACT],
      body: 'Termin',
      showAs: 'busy' as const,
      transactionId: 'book-req-1',
      requestId: 'req-1',
    };
    const first = await calendar.createEvent(OWNER, event);
    const again = await calendar.createEvent(OWNER, event);
    expect(again.id).toBe(first.id);
    expect(first.id).toBe(eventIdFor('book-req-1'));
    const stored = sim.calendar
      .events(OWNER)
      .filter((e) => e.privateProperties.draftbridgeRequest === 'req-1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      status: 'confirmed',
      sendUpdates: 'all',
      attendees: [{ email: CONTACT.address, displayName: CONTACT.name, responseStatus: 'needsAction' }],
    });
    // The booked meeting is busy time from now on.
    const busy = await calendar.getSchedule(
      OWNER,
      new Date('2027-01-14T00:00:00Z'),
      new Date('2027-01-15T00:00:00Z'),
    );
    expect(busy).toEqual([{ start: '2027-01-14T09:00:00.000Z', end: '2027-01-14T09:30:00.000Z' }]);
  });

  it('places holds quietly, finds them by request and removes them (a second delete is fine)', async () => {
    const hold = {
      subject: 'Reserviert',
      start: '2027-01-15T09:00:00Z',
      end: '2027-01-15T09:30:00Z',
      attendees: [],
      body: '',
      showAs: 'tentative' as const,
      transactionId: 'hold-req-2-1',
      requestId: 'req-2',
      hold: true,
    };
    const { id } = await calendar.createEvent(OWNER, hold);
    expect(sim.calendar.events(OWNER).find((e) => e.id === id)).toMatchObject({
      status: 'tentative',
      sendUpdates: 'none',
    });
    expect(await calendar.listHolds(OWNER, 'req-2')).toEqual([
      { id, start: '2027-01-15T09:00:00.000Z', end: '2027-01-15T09:30:00.000Z' },
    ]);
    expect(await calendar.listHolds(OWNER, 'req-other')).toEqual([]);
    await calendar.deleteEvent(OWNER, id);
    await calendar.deleteEvent(OWNER, id);
    await calendar.deleteEvent(OWNER, 'neverexisted0');
    expect(await calendar.listHolds(OWNER, 'req-2')).toEqual([]);
  });

  it('maps Google’s rate limits to a queue pause', async () => {
    sim.inject({ path: /\/calendar\/v3\/freeBusy/, status: 429, retryAfterSeconds: 3, times: 1 });
    const err = await calendar
      .getSchedule(OWNER, new Date(), new Date(Date.now() + 86_400_000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(3000);
  });
});
