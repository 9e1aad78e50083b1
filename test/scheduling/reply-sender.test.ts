import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

// Only the address the offer went to books; anyone else in the conversation and any machine books nothing.
const OWNER = 'max.vertrieb@example.com';
const CONTACT = 'erika.musterfrau@example.com';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await wait(50);
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('Graph: who may book with a reply', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  const notes = (requestId: string) =>
    h.sandbox.hubspot.notes.map((n) => n.properties.hs_note_body ?? '').filter((n) => n.includes(requestId));
  const meetings = (requestId: string) =>
    h.sandbox.graph
      .events(OWNER)
      .filter(
        (e) => e.showAs === 'busy' && e.singleValueExtendedProperties.some((p) => p.value === requestId),
      );

  async function sentOffer() {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    expect(record.recipientRef).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(record)).not.toContain(CONTACT);
    const draft = h.sandbox.graph
      .mailbox(OWNER)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser(OWNER, draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    return { requestId, conversationId: draft.conversationId };
  }

  it('a CC\'d colleague picking a slot books nothing; the rep gets "reply from another address"', async () => {
    const { requestId, conversationId } = await sentOffer();
    await h.sandbox.graph.simulateReply(
      OWNER,
      conversationId,
      'kollege.mitlesend@example.com',
      'Option 2 passt mir gut.',
    );
    await until(() => notes(requestId).some((n) => n.includes('anderen Adresse')), 'the other-address note');
    await h.settle();
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
    expect(meetings(requestId)).toHaveLength(0);
    const read = (await h.ctx.audit.read({ requestId })).find((e) => e.type === 'request.reply_read');
    expect(read?.details).toMatchObject({ reason: 'other_sender' });
  });

  it("an automatic reply from the contact's own address books nothing, whatever its text says", async () => {
    const { requestId, conversationId } = await sentOffer();
    await h.sandbox.graph.simulateReply(
      OWNER,
      conversationId,
      CONTACT,
      'Option 2. Ich bin bis 4.1. nicht im Büro.',
      {
        subject: 'Automatische Antwort: Termin',
        headers: [
          { name: 'Auto-Submitted', value: 'auto-replied' },
          { name: 'X-Auto-Response-Suppress', value: 'All' },
        ],
      },
    );
    await until(
      () => notes(requestId).some((n) => n.includes('Automatische Antwort')),
      'the auto-reply note',
    );
    await h.settle();
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
    expect(meetings(requestId)).toHaveLength(0);
  });

  it('"Bitte rufen Sie mich einfach an" books nothing and says the reply needs a person', async () => {
    const { requestId, conversationId } = await sentOffer();
    await h.sandbox.graph.simulateReply(OWNER, conversationId, CONTACT, 'Bitte rufen Sie mich einfach an.');
    await until(() => notes(requestId).some((n) => n.includes('bittet um einen Anruf')), 'the call-me note');
    await h.settle();
    expect(meetings(requestId)).toHaveLength(0);
  });

  it('the recipient\'s own reply ("der letzte") books once, with the recipient as attendee', async () => {
    const { requestId, conversationId } = await sentOffer();
    const record = await h.waitForState(requestId, ['sent']);
    const last = (record.slots ?? '').split(' ').filter(Boolean).at(-1)!;
    await h.sandbox.graph.simulateReply(
      OWNER,
      conversationId,
      'Erika.Musterfrau@Example.com',
      'Hallo, der letzte Termin passt mir am besten.',
    );
    const booked = await h.waitForState(requestId, ['booked']);
    expect(DateTime.fromISO(booked.bookedSlot!.split('/')[0]!).toMillis()).toBe(
      DateTime.fromISO(last.split('/')[0]!).toMillis(),
    );
    expect(meetings(requestId)).toHaveLength(1);
    expect(meetings(requestId)[0]!.attendees).toMatchObject([
      { emailAddress: { address: 'Erika.Musterfrau@Example.com' } },
    ]);
  });
});

describe('Gmail: who may book with a reply', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'gmail' });
  });
  afterAll(() => h.close());

  const notes = (requestId: string) =>
    h.sandbox.hubspot.notes.map((n) => n.properties.hs_note_body ?? '').filter((n) => n.includes(requestId));

  async function sentOffer() {
    const gmail = h.sandbox.gmail!;
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const draft = gmail.messagesFor(requestId).find((m) => m.labelIds.has('DRAFT'))!;
    await gmail.sendDraftAsUser(OWNER, draft.id);
    await h.waitForState(requestId, ['sent']);
    return { requestId, threadId: draft.threadId };
  }

  it("a forwarded party's reply is recorded as from another address and books nothing", async () => {
    const { requestId, threadId } = await sentOffer();
    await h.sandbox.gmail!.simulateReply(OWNER, threadId, 'Dritte Person <weitergeleitet@example.test>', {
      text: 'Option 1 bitte.',
    });
    await until(() => notes(requestId).some((n) => n.includes('anderen Adresse')), 'the other-address note');
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
    const read = (await h.ctx.audit.read({ requestId })).find((e) => e.type === 'request.reply_read');
    expect(read?.details).toMatchObject({ reason: 'other_sender' });
  });

  it('an out-of-office reply (Auto-Submitted, Precedence) is recorded as automatic and books nothing', async () => {
    const { requestId, threadId } = await sentOffer();
    await h.sandbox.gmail!.simulateReply(OWNER, threadId, `Erika Musterfrau <${CONTACT}>`, {
      subject: 'Out of Office',
      text: 'I am out of the office until 4 January.',
      headers: { 'Auto-Submitted': 'auto-replied', Precedence: 'auto_reply' },
    });
    await until(
      () => notes(requestId).some((n) => n.includes('Automatische Antwort')),
      'the auto-reply note',
    );
    expect((await h.waitForState(requestId, ['sent', 'booked'])).state).toBe('sent');
  });

  it("the recipient's pick books the meeting in the rep's Google Calendar, once", async () => {
    const { requestId, threadId } = await sentOffer();
    await h.sandbox.gmail!.simulateReply(OWNER, threadId, `Erika Musterfrau <${CONTACT}>`, {
      text: 'Gerne Nummer 2.',
    });
    await h.waitForState(requestId, ['booked']);
    const read = (await h.ctx.audit.read({ requestId })).find((e) => e.type === 'request.reply_read');
    expect(read).toMatchObject({ outcome: 'chosen', details: { slot: 2 } });
    const meetings = h.sandbox
      .gmail!.calendar.events(OWNER)
      .filter((e) => e.privateProperties.draftbridgeRequest === requestId);
    expect(meetings).toHaveLength(1);
    expect(meetings[0]!.attendees.map((a) => a.email)).toEqual([CONTACT]);
  });
});
