import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const BERLIN = 'Europe/Berlin';
const slotsOf = (record: { slots?: string | undefined }) =>
  (record.slots ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => {
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

  it('a model that changes an offered time gets one strict retry, then the template drafts with the same slots', async () => {
    h.sandbox.llm.mangle('alter_slot', 2);
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.templateFallback).toBe('llm_slots_altered');
    const slots = slotsOf(record);
    const [draft] = h.draftsFor(requestId);
    for (const [i, s] of slots.entries()) {
      expect(draft!.body).toContain(
        `${i + 1}. ${s.start.setLocale('de').toFormat('cccc, d. LLLL')}, ${s.start.toFormat('HH:mm')}–${s.end.toFormat('HH:mm')} Uhr`,
      );
    }
    expect(draft!.body).not.toContain('11:11');
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

  it('a reply choosing the second slot books exactly one meeting, even when the notification arrives twice', async () => {
    const owner = 'max.vertrieb@example.com';
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const second = slotsOf(record)[1]!;
    const draft = h.sandbox.graph
      .mailbox(owner)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser(owner, draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    const reply = await h.sandbox.graph.simulateReply(
      owner,
      draft.conversationId,
      'erika.musterfrau@example.com',
      'Guten Tag,\nOption 2 passt mir gut.\n\nAm Freitag schrieb Max Vertrieb:\n> 1. …',
    );
    const booked = await h.waitForState(requestId, ['booked']);
    expect(booked.bookedSlot).toBe(
      `${second.start.toUTC().toISO({ suppressMilliseconds: true })}/${second.end.toUTC().toISO({ suppressMilliseconds: true })}`,
    );

    // Graph delivers the same notification once more.
    const sub = [...h.sandbox.graph.subscriptions.values()].find(
      (s) => s.resource.includes('Inbox') && s.resource.includes(owner),
    )!;
    const userId = h.sandbox.graph.mailbox(owner).userId;
    const again = await fetch(sub.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            changeType: 'created',
            resource: `Users/${userId}/Messages/${reply.immutableId}`,
            resourceData: { '@odata.type': '#Microsoft.Graph.Message', id: reply.immutableId },
            clientState: sub.clientState ?? null,
            tenantId: h.sandbox.graph.tenantId,
          },
        ],
      }),
    });
    expect(again.status).toBe(202);
    await h.settle();

    const meetings = h.sandbox.graph
      .events(owner)
      .filter((e) => e.singleValueExtendedProperties.some((p) => p.value === requestId));
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toMatchObject({
      showAs: 'busy',
      attendees: [{ emailAddress: { address: 'erika.musterfrau@example.com' }, type: 'required' }],
    });
    expect(DateTime.fromISO(meetings[0]!.start).toMillis()).toBe(second.start.toMillis());
    for (
      let i = 0;
      i < 100 && h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status !== 'booked';
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status).toBe('booked');
    const notes = h.sandbox.hubspot.notes
      .filter((n) => n.properties.hs_note_body?.includes(requestId))
      .map((n) => n.properties.hs_note_body!);
    expect(notes.filter((n) => n.includes('Termin steht im Kalender'))).toHaveLength(1);
    const engagements = h.sandbox.hubspot.meetings.filter(
      (m) =>
        m.associations[0]!.to.id === '1001' &&
        m.properties.hs_meeting_start_time === second.start.toUTC().toISO(),
    );
    expect(engagements).toHaveLength(1);
    expect(engagements[0]!.properties).toMatchObject({
      hs_meeting_outcome: 'SCHEDULED',
      hs_meeting_end_time: second.end.toUTC().toISO(),
      hubspot_owner_id: '9001',
    });
  });

  it('a reply naming no offered slot books nothing and stays a note for the rep', async () => {
    const owner = 'max.vertrieb@example.com';
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const draft = h.sandbox.graph
      .mailbox(owner)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser(owner, draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    await h.sandbox.graph.simulateReply(
      owner,
      draft.conversationId,
      'erika.musterfrau@example.com',
      'Danke, ich melde mich nächste Woche selbst.',
    );
    for (
      let i = 0;
      i < 100 &&
      !h.sandbox.hubspot.notes.some(
        (n) =>
          n.properties.hs_note_body?.includes(requestId) && n.properties.hs_note_body.includes('geantwortet'),
      );
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    await h.settle();
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
    expect(
      h.sandbox.graph
        .events(owner)
        .filter((e) => e.singleValueExtendedProperties.some((p) => p.value === requestId)),
    ).toHaveLength(0);
    const read = (await h.ctx.audit.read({ requestId })).find((e) => e.type === 'request.reply_read');
    expect(read?.outcome).toBe('none');
  });
});
