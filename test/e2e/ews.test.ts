import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EwsSimulator } from '../../sandbox/ews/simulator.ts';
import { SANDBOX_BUSY } from '../../sandbox/index.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * The e2e paths with Exchange Server on premises as the reviewer's mailbox (DRAFTBRIDGE_MAIL=ews):
 * the real connector over HTTPS and NTLM against the EWS simulator, approvals through pull
 * subscriptions read by the mail-events stage's poll job, real Redis. For HubSpot and Salesforce.
 */
const OWNER = 'max.vertrieb@example.com';
const CONTACT = 'erika.musterfrau@example.com';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(50);
  }
}

describe.each(['hubspot', 'salesforce'] as const)('Exchange (EWS) as the mailbox, %s as the CRM', (crm) => {
  let h: PipelineHarness;
  let ews: EwsSimulator;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'ews', crm, env: { EWS_POLL_INTERVAL_MS: '250' } });
    ews = h.sandbox.ews!;
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  const draftOf = (requestId: string) =>
    ews.itemsFor(requestId).find((i) => i.kind === 'Message' && i.folder === 'drafts')!;
  const sentOf = (requestId: string) =>
    ews.itemsFor(requestId).find((i) => i.kind === 'Message' && i.folder === 'sentitems')!;
  const notes = () => h.crmView('1001').notes;

  it('saves the draft in the rep’s Drafts (category, request property, NTLM, impersonation) and subscribes the mailbox', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    await h.waitForCrmNote(requestId);
    const drafts = h.draftsFor(requestId);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      mailbox: OWNER,
      isDraft: true,
      categories: ['KI-Entwurf – bitte prüfen'],
      to: [CONTACT],
    });
    expect(drafts[0]!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    expect(ews.requests.filter((r) => r.operation === 'Subscribe').map((r) => r.mailbox)).toContain(OWNER);
    expect(ews.requests.every((r) => r.auth === 'ntlm')).toBe(true);
    expect(ews.authFailures).toEqual([]);
    expect(h.crmView('1001').status).toBe('awaiting_review');
  });

  it('sending the draft is the approval; the contact’s reply (same conversation, original quoted) becomes a note', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    ews.sendDraftAsUser(OWNER, draftOf(requestId).id);
    const sent = await h.waitForState(requestId, ['sent']);
    expect(sent.state).toBe('sent');
    await until(
      () => notes().some((n) => n.includes('versendet') && n.includes(requestId)),
      'the approval note',
    );
    ews.simulateReply(OWNER, sentOf(requestId).id, CONTACT, 'Vielen Dank, ich melde mich.');
    await until(
      async () => (await h.ctx.audit.read({ requestId })).some((e) => e.type === 'request.replied'),
      'the reply',
    );
    await until(
      () => notes().some((n) => n.includes('geantwortet') && n.includes(requestId)),
      'the reply note',
    );
    // No address in any queued job; the poll job carries nothing personal.
    const jobs = await h.ctx.queues['mail-events'].getJobs([
      'completed',
      'waiting',
      'active',
      'delayed',
      'failed',
    ]);
    expect(jobs.some((j) => j.name === 'ews-poll')).toBe(true);
    expect(JSON.stringify(jobs.map((j) => j.data))).not.toContain('@');
  });

  it('deleting the draft is the rejection (to Deleted Items, and Shift+Del)', async () => {
    const soft = await h.deliverWebhook('1001');
    const hard = await h.deliverWebhook('1002');
    await h.waitForState(soft.requestId, ['awaiting_review']);
    await h.waitForState(hard.requestId, ['awaiting_review']);
    ews.deleteDraftAsUser(OWNER, draftOf(soft.requestId).id);
    const hardDraft = ews.itemsFor(hard.requestId)[0]!;
    ews.deleteDraftAsUser(hardDraft.mailbox, hardDraft.id, true);
    expect((await h.waitForState(soft.requestId, ['rejected', 'sent'])).state).toBe('rejected');
    expect((await h.waitForState(hard.requestId, ['rejected', 'sent'])).state).toBe('rejected');
  });

  it('yields exactly one draft when the connection drops after Exchange created it (the retry finds it by its property)', async () => {
    ews.inject({ operation: 'CreateItem', code: 'NoError', afterCommit: true });
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review'], 30_000);
    expect(h.draftsFor(requestId)).toHaveLength(1);
    const finds = ews.requests.filter((r) => r.operation === 'FindItem' && r.xml.includes(requestId));
    expect(finds.length).toBeGreaterThan(0);
  });

  it('backs off when Exchange answers ErrorServerBusy: waits BackOffMilliseconds, then pauses the queue, and still makes one draft', async () => {
    // Two short back-offs are waited out inside the call; the third answer pauses the deliver queue.
    ews.inject({ operation: 'CreateItem', code: 'ErrorServerBusy', backOffMs: 700, times: 3 });
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review'], 30_000);
    expect(h.draftsFor(requestId)).toHaveLength(1);
    const creates = ews.requests.filter((r) => r.operation === 'CreateItem' && r.xml.includes(requestId));
    expect(creates).toHaveLength(4);
    expect(
      h.logs.some(
        (l) =>
          l.includes(requestId) &&
          l.includes('provider throttled; pausing the queue') &&
          l.includes('"retryAfterMs":700'),
      ),
    ).toBe(true);
  });

  it('catches up after Exchange dropped the subscription: the send and a reply in between are not lost', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    ews.expireSubscriptions();
    ews.sendDraftAsUser(OWNER, draftOf(requestId).id);
    ews.simulateReply(OWNER, sentOf(requestId).id, CONTACT, 'Danke, melde mich.');
    await h.waitForState(requestId, ['sent']);
    await until(
      async () => (await h.ctx.audit.read({ requestId })).some((e) => e.type === 'request.replied'),
      'the reply caught up by SyncFolderItems',
    );
    expect(ews.requests.some((r) => r.operation === 'SyncFolderItems' && r.xml.includes('SyncState'))).toBe(
      true,
    );
    expect(ews.requests.filter((r) => r.operation === 'Subscribe').length).toBeGreaterThanOrEqual(2);
  });

  it('offers free slots from GetUserAvailability and books the one the contact names (required attendee, invitation sent)', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const slots = (record.slots ?? '')
      .split(' ')
      .filter(Boolean)
      .map((p) => p.split('/') as [string, string]);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    // None overlaps the owner's seeded busy blocks (Berlin wall clock).
    for (const [start, end] of slots) {
      const s = DateTime.fromISO(start).setZone('Europe/Berlin');
      const e = DateTime.fromISO(end).setZone('Europe/Berlin');
      for (const [from, to] of SANDBOX_BUSY[OWNER]!)
        expect(s.toFormat('HH:mm') < to && e.toFormat('HH:mm') > from).toBe(false);
    }
    expect(ews.requests.some((r) => r.operation === 'GetUserAvailability')).toBe(true);
    ews.sendDraftAsUser(OWNER, draftOf(requestId).id);
    await h.waitForState(requestId, ['sent']);
    ews.simulateReply(OWNER, sentOf(requestId).id, CONTACT, 'Guten Tag,\nOption 2 passt mir gut.');
    const booked = await h.waitForState(requestId, ['booked']);
    const [start, end] = slots[1]!;
    expect(booked.bookedSlot).toBe(`${start}/${end}`);
    const meetings = ews
      .itemsFor(requestId)
      .filter((i) => i.kind === 'CalendarItem' && i.attendees!.length > 0);
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toMatchObject({ mailbox: OWNER, attendees: [CONTACT], freeBusy: 'Busy' });
    expect(Date.parse(meetings[0]!.start!)).toBe(Date.parse(start));
    expect(
      ews.invitations.filter((i) => i.to.includes(CONTACT) && Date.parse(i.start) === Date.parse(start)),
    ).toHaveLength(1);
    await until(() => h.crmView('1001').status === 'booked', 'status booked in the CRM');
  });
});

describe('Exchange (EWS) tentative holds for the offered slots (scheduling.holds)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      mail: 'ews',
      env: { EWS_POLL_INTERVAL_MS: '250' },
      policy: (p) => ({ ...p, scheduling: { ...p.scheduling, holds: true } }),
    });
  });
  afterAll(() => h.close());
  const calendarItems = (requestId: string) =>
    h.sandbox.ews!.itemsFor(requestId).filter((i) => i.kind === 'CalendarItem' && i.folder === 'calendar');

  it('holds each offered slot tentatively; the contact’s choice replaces them with the one meeting, a rejection releases them', async () => {
    const ews = h.sandbox.ews!;
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    const offered = (record.slots ?? '').split(' ').filter(Boolean);
    const holds = calendarItems(requestId);
    expect(
      holds.map((e) => `${e.start!.replace('.000Z', 'Z')}/${e.end!.replace('.000Z', 'Z')}`).sort(),
    ).toEqual([...offered].sort());
    expect(holds.every((e) => e.freeBusy === 'Tentative' && e.attendees!.length === 0)).toBe(true);
    const draft = ews.itemsFor(requestId).find((i) => i.kind === 'Message')!;
    const sent = ews.sendDraftAsUser(OWNER, draft.id);
    await h.waitForState(requestId, ['sent']);
    ews.simulateReply(OWNER, sent.id, CONTACT, 'Option 1 passt.');
    await h.waitForState(requestId, ['booked']);
    await until(() => calendarItems(requestId).length === 1, 'the holds released');
    expect(calendarItems(requestId)[0]).toMatchObject({ freeBusy: 'Busy', attendees: [CONTACT] });

    const other = await h.deliverWebhook('1001');
    await h.waitForState(other.requestId, ['awaiting_review']);
    expect(calendarItems(other.requestId).length).toBeGreaterThan(0);
    ews.deleteDraftAsUser(OWNER, ews.itemsFor(other.requestId).find((i) => i.kind === 'Message')!.id);
    await h.waitForState(other.requestId, ['rejected']);
    await until(() => calendarItems(other.requestId).length === 0, 'the holds released after the rejection');
  });
});

describe('Exchange (EWS) auto delivery (flows the policy marks so)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      mail: 'ews',
      env: { EWS_POLL_INTERVAL_MS: '250' },
      policy: (p) => ({ ...p, flows: { ...p.flows, callback: { ...p.flows.callback!, delivery: 'auto' } } }),
    });
  });
  afterAll(() => h.close());

  it('sends with CreateItem SendAndSaveCopy, exactly once even when the webhook is redelivered', async () => {
    const ews = h.sandbox.ews!;
    const first = await h.deliverWebhook('1001', { eventId: 9_100_001 });
    await h.deliverWebhook('1001', { eventId: 9_100_001, attemptNumber: 1 });
    await h.waitForState(first.requestId, ['sent']);
    await h.waitForCrmNote(first.requestId);
    expect(h.draftsFor(first.requestId)).toEqual([
      expect.objectContaining({ isDraft: false, to: [CONTACT] }),
    ]);
    expect(ews.itemsFor(first.requestId).map((i) => i.folder)).toEqual(['sentitems']);
    expect(ews.outbound.filter((o) => o.itemId === ews.itemsFor(first.requestId)[0]!.id)).toHaveLength(1);
    expect(
      ews.requests.filter((r) => r.operation === 'CreateItem' && r.xml.includes('SendAndSaveCopy')),
    ).toHaveLength(1);
  });
});
