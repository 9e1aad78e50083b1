import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const BERLIN = 'Europe/Berlin';
const slotsOf = (record: { slots?: string | undefined }) =>
  (record.slots ?? '').split(' ').filter(Boolean).map((pair) => {
    const [start, end] = pair.split('/');
    return { start: DateTime.fromISO(start!).setZone(BERLIN), end: DateTime.fromISO(end!).setZone(BERLIN) };
  });

describe('offered slots end to end (sandbox calendars through getSchedule, real Redis)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  it('1001 (mornings) gets only free morning slots from the owner’s calendar, copied verbatim into the draft', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    const slots = slotsOf(record);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    expect(slots.length).toBeLessThanOrEqual(3);
    const busy = h.sandbox.graph.events('max.vertrieb@example.com').filter((e) => e.showAs !== 'free');
    expect(busy.length).toBeGreaterThan(0);
    const leadTime = DateTime.now().plus({ hours: 4 });
    for (const s of slots) {
      expect(s.end.hour * 60 + s.end.minute).toBeLessThanOrEqual(12 * 60);
      expect(s.start.hour).toBeGreaterThanOrEqual(9);
      expect(s.start.weekday).toBeLessThanOrEqual(5);
      expect(s.start >= leadTime.minus({ minutes: 1 })).toBe(true);
      const clash = busy.find((e) => DateTime.fromISO(e.start) < s.end && DateTime.fromISO(e.end) > s.start);
      expect(clash).toBeUndefined();
    }
    const [draft] = h.draftsFor(requestId);
    const first = slots[0]!;
    const text = `${first.start.setLocale('de').toFormat('cccc, d. LLLL')}, ${first.start.toFormat('HH:mm')}–${first.end.toFormat('HH:mm')} Uhr`;
    expect(draft!.body).toContain(`1. ${text}`);
    expect(draft!.body).not.toContain('Dienstag um 10:00 Uhr oder Mittwoch um 14:30');
    expect(h.sandbox.graph.requests.some((r) => r.path.endsWith('/calendar/getSchedule'))).toBe(true);
  });

  it('1003 ("erst nächste Woche") gets slots from next Monday on', async () => {
    const { requestId } = await h.deliverWebhook('1003');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    const slots = slotsOf(record);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    const nextMonday = DateTime.now().setZone(BERLIN).startOf('week').plus({ weeks: 1 });
    for (const s of slots) expect(s.start >= nextMonday).toBe(true);
  });
});
