import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GmailSimulator } from '../../sandbox/gmail/simulator.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Slots and bookings for reps on Gmail: Google Calendar free/busy, the reply books with the contact invited. */
const OWNER = 'max.vertrieb@example.com';
const CONTACT = 'erika.musterfrau@example.com';
const slotsOf = (record: { slots?: string | undefined }) =>
  (record.slots ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => pair.split('/').map((t) => DateTime.fromISO(t!)) as [DateTime, DateTime]);

describe('Gmail reps: offered slots from Google Calendar, the contact’s reply books the meeting there', () => {
  let h: PipelineHarness;
  let gmail: GmailSimulator;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'gmail' });
    gmail = h.sandbox.gmail!;
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  it('offers only times the rep’s Google Calendar has free, and a reply naming one books it once', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    const slots = slotsOf(record);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    const busy = gmail.calendar.events(OWNER).filter((e) => e.status !== 'cancelled');
    expect(busy.length).toBeGreaterThan(0);
    for (const [start, end] of slots) {
      expect(
        busy.find((e) => DateTime.fromISO(e.start) < end && DateTime.fromISO(e.end) > start),
      ).toBeUndefined();
    }
    expect(gmail.requests.some((r) => r.path === '/calendar/v3/freeBusy')).toBe(true);

    const draft = gmail.messagesFor(requestId).find((m) => m.labelIds.has('DRAFT'))!;
    await gmail.sendDraftAsUser(OWNER, draft.id);
    await h.waitForState(requestId, ['sent']);
    await gmail.simulateReply(OWNER, draft.threadId, CONTACT, {
      text: 'Guten Tag,\nOption 2 passt mir gut.\n\nViele Grüße',
    });
    const booked = await h.waitForState(requestId, ['booked']);
    const [start, end] = slots[1]!;
    expect(booked.bookedSlot).toBe(
      `${start.toUTC().toISO({ suppressMilliseconds: true })}/${end.toUTC().toISO({ suppressMilliseconds: true })}`,
    );

    // Pub/Sub delivers at least once: the same push again books nothing more.
    expect(await gmail.push(OWNER)).toBe(204);
    await h.settle();
    const meetings = gmail.calendar
      .events(OWNER)
      .filter((e) => e.privateProperties.draftbridgeRequest === requestId);
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toMatchObject({
      status: 'confirmed',
      sendUpdates: 'all',
      attendees: [expect.objectContaining({ email: CONTACT })],
    });
    expect(DateTime.fromISO(meetings[0]!.start).toMillis()).toBe(start.toMillis());
  });
});
