import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

// A counter-proposal is checked against the owner's calendar (sandbox: Max is busy 09:00–10:00 and
// 12:30–14:30 on weekdays) and the note's wishes (contact 1001: mornings).
const OWNER = 'max.vertrieb@example.com';
const CONTACT = 'erika.musterfrau@example.com';
const nextWednesday = DateTime.now().setZone('Europe/Berlin').startOf('week').plus({ weeks: 1, days: 2 });

describe("counter-proposals against the owner's calendar (Graph simulator, real Redis)", () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  async function sentOffer() {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const draft = h.sandbox.graph
      .mailbox(OWNER)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser(OWNER, draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    return { requestId, conversationId: draft.conversationId };
  }
  const notes = (requestId: string) =>
    h.sandbox.hubspot.notes.map((n) => n.properties.hs_note_body ?? '').filter((n) => n.includes(requestId));

  it('"Keiner passt, ginge … um 11 Uhr?" at a free morning time books that time', async () => {
    const { requestId, conversationId } = await sentOffer();
    await h.sandbox.graph.simulateReply(
      OWNER,
      conversationId,
      CONTACT,
      `Keiner passt leider, ginge der ${nextWednesday.toFormat('d.M.')} um 11 Uhr?`,
    );
    const booked = await h.waitForState(requestId, ['booked']);
    expect(DateTime.fromISO(booked.bookedSlot!.split('/')[0]!).toMillis()).toBe(
      nextWednesday.set({ hour: 11 }).toMillis(),
    );
    const meetings = h.sandbox.graph
      .events(OWNER)
      .filter(
        (e) => e.showAs === 'busy' && e.singleValueExtendedProperties.some((p) => p.value === requestId),
      );
    expect(meetings).toHaveLength(1);
  });

  it("a note no working hour can meet offers nothing and the rep's note says why", async () => {
    const contact = h.sandbox.hubspot.contacts.get('1001')!;
    const original = contact.properties.callback_notes;
    contact.properties.callback_notes = 'Rückruf bitte nur am Wochenende.';
    try {
      const { requestId } = await h.deliverWebhook('1001');
      const record = await h.waitForState(requestId, ['awaiting_review']);
      await h.waitForCrmNote(requestId);
      expect(record.slots).toBeUndefined();
      expect(record.slotsUnmet).toBe('no_working_day');
      expect(
        notes(requestId).some((n) => n.includes('Keine Termine angeboten') && n.includes('Wochenende')),
      ).toBe(true);
    } finally {
      contact.properties.callback_notes = original ?? null;
    }
  });

  it('a counter-proposal into a busy block books nothing and asks the rep for new times', async () => {
    const { requestId, conversationId } = await sentOffer();
    await h.sandbox.graph.simulateReply(
      OWNER,
      conversationId,
      CONTACT,
      `None of these work, how about ${nextWednesday.toFormat('cccc d LLLL', { locale: 'en' })} at 9:30am?`,
    );
    for (let i = 0; i < 100 && !notes(requestId).some((n) => n.includes('andere Zeit vor')); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(notes(requestId).some((n) => n.includes('bitte neue Termine anbieten'))).toBe(true);
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
  });
});
