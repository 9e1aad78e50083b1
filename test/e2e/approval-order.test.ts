import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * Sending a draft is reported twice: the draft leaves Drafts (Graph `deleted` on the Drafts
 * subscription, Gmail's messagesDeleted) and a sent message appears (Graph `created` in Sent Items,
 * Gmail's SENT message), in either order, at least once each, possibly seconds apart. Whatever the
 * order, the request ends `sent` and the CRM never hears "rejected".
 */
const OWNER = 'max.vertrieb@example.com';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ORDERS = [
  { order: 'deleted-first', gapMs: 0, times: 1 },
  { order: 'created-first', gapMs: 0, times: 1 },
  { order: 'deleted-first', gapMs: 0, times: 2 },
  { order: 'created-first', gapMs: 0, times: 2 },
  { order: 'deleted-first', gapMs: 600, times: 1 },
  { order: 'created-first', gapMs: 600, times: 2 },
] as const;

async function expectApproved(h: PipelineHarness, requestId: string, contactId: string): Promise<void> {
  await h.waitForState(requestId, ['sent', 'rejected']);
  // Past the grace period (1.5 s in the harness): the removal check has run and found it sent.
  await wait(2200);
  const removal = await h.ctx.queues['mail-events'].getJob(`${requestId}.removal`);
  if (removal) expect(await removal.getState()).toBe('completed');
  expect((await h.waitForState(requestId, ['sent', 'rejected'])).state).toBe('sent');
  const events = (await h.ctx.audit.read({ requestId })).map((e) => e.type);
  expect(events).toContain('request.sent');
  expect(events).not.toContain('request.rejected');
  const view = h.crmView(contactId);
  expect(view.notes.some((n) => n.includes(requestId) && n.includes('verworfen'))).toBe(false);
  for (let i = 0; i < 100 && h.crmView(contactId).status !== 'sent'; i++) await wait(50);
  expect(h.crmView(contactId).status).toBe('sent');
}

describe('Outlook: approval does not depend on the order of the two change notifications', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h.close());

  const draftOf = (requestId: string) =>
    h.sandbox.graph
      .mailbox(OWNER)
      .messages.find((m) => m.isDraft && m.singleValueExtendedProperties.some((p) => p.value === requestId))!;

  for (const how of ORDERS) {
    it(`${how.order}, ${how.times}× each, ${how.gapMs} ms apart: sent`, async () => {
      const { requestId } = await h.deliverWebhook('1001');
      await h.waitForState(requestId, ['awaiting_review']);
      await h.waitForCrmNote(requestId);
      await h.sandbox.graph.sendDraftAsUser(OWNER, draftOf(requestId).immutableId, how);
      await expectApproved(h, requestId, '1001');
    });
  }

  it('the Sent Items notification lost: the removal check finds the sent copy by its immutable id', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const subs = h.sandbox.graph.subscriptions;
    const sent = [...subs.entries()].find(
      ([, s]) => /SentItems/i.test(s.resource) && s.resource.includes(OWNER),
    )!;
    subs.delete(sent[0]);
    try {
      await h.sandbox.graph.sendDraftAsUser(OWNER, draftOf(requestId).immutableId, {
        order: 'deleted-first',
      });
    } finally {
      subs.set(sent[0], sent[1]);
    }
    await expectApproved(h, requestId, '1001');
  });

  it('a draft really deleted is still the rejection, once the grace period has passed', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const started = Date.now();
    await h.sandbox.graph.deleteAsUser(OWNER, draftOf(requestId).immutableId);
    await wait(500);
    expect((await h.waitForState(requestId, ['awaiting_review', 'rejected'])).state).toBe('awaiting_review');
    await h.waitForState(requestId, ['rejected']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    for (
      let i = 0;
      i < 100 && !h.crmView('1001').notes.some((n) => n.includes(requestId) && n.includes('verworfen'));
      i++
    )
      await wait(50);
    expect(h.crmView('1001').notes.some((n) => n.includes(requestId) && n.includes('verworfen'))).toBe(true);
  });
});

describe('Gmail: approval does not depend on the order of the deletion and the SENT message', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'gmail' });
  });
  afterAll(() => h.close());

  const draftOf = (requestId: string) =>
    h.sandbox.gmail!.messagesFor(requestId).find((m) => m.labelIds.has('DRAFT'))!;

  for (const how of ORDERS) {
    it(`${how.order}, pushed ${how.times}×, ${how.gapMs} ms apart: sent`, async () => {
      const { requestId } = await h.deliverWebhook('1001');
      await h.waitForState(requestId, ['awaiting_review']);
      await h.waitForCrmNote(requestId);
      await h.sandbox.gmail!.sendDraftAsUser(OWNER, draftOf(requestId).id, how);
      await expectApproved(h, requestId, '1001');
    });
  }

  it('a discarded draft is still the rejection', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    await h.sandbox.gmail!.deleteDraftAsUser(OWNER, draftOf(requestId).id);
    await h.waitForState(requestId, ['rejected']);
  });
});
