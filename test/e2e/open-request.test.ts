import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** One open request per contact and flow: repeated triggers while a draft awaits review add no draft. */
const OWNER = 'max.vertrieb@example.com';
const draftsIn = (h: PipelineHarness) =>
  h.sandbox.graph.mailbox(OWNER).messages.filter((m) => m.isDraft).length;

describe('one open request per contact and flow', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      policy: (p) => ({ ...p, defaults: { ...p.defaults, openRequestWindow: 7 * 86_400_000 } }),
    });
  });
  afterAll(() => h.close());

  it('two more "callback requested" events 600 ms apart while the draft awaits review: recorded as repeats, one draft', async () => {
    const before = draftsIn(h);
    const first = await h.deliverWebhook('1001');
    await h.waitForState(first.requestId, ['awaiting_review']);
    const second = await h.deliverWebhook('1001');
    await new Promise((r) => setTimeout(r, 600));
    const third = await h.deliverWebhook('1001');
    for (const { requestId } of [second, third]) {
      const record = await h.waitForState(requestId, ['suppressed', 'awaiting_review']);
      expect(record).toMatchObject({ state: 'suppressed', reason: 'repeat' });
      const events = await h.ctx.audit.read({ requestId });
      expect(events.find((e) => e.type === 'request.suppressed')?.details).toMatchObject({
        reason: 'repeat',
      });
    }
    await h.settle();
    expect(draftsIn(h)).toBe(before + 1);
  });

  it('two triggers racing each other: exactly one draft', async () => {
    const [a, b] = await Promise.all([h.deliverWebhook('1002'), h.deliverWebhook('1002')]);
    const states = await Promise.all(
      [a, b].map(({ requestId }) => h.waitForState(requestId, ['suppressed', 'awaiting_review'])),
    );
    expect(states.map((s) => s.state).sort()).toEqual(['awaiting_review', 'suppressed']);
    await h.settle();
    expect(h.draftsFor(a.requestId).length + h.draftsFor(b.requestId).length).toBe(1);
  });

  it('another flow for the same contact, or a trigger after the draft was sent, makes a new draft', async () => {
    const lead = await h.deliverWebhook('1001', { subscriptionType: 'contact.creation' });
    expect((await h.waitForState(lead.requestId, ['suppressed', 'awaiting_review', 'failed'])).state).toBe(
      'awaiting_review',
    );
    const open = h.sandbox.graph
      .mailbox(OWNER)
      .messages.find(
        (m) =>
          m.isDraft &&
          m.singleValueExtendedProperties.some(
            (p) => p.value.includes('-1001') && p.value !== lead.requestId,
          ),
      )!;
    await h.sandbox.graph.sendDraftAsUser(OWNER, open.immutableId);
    const openId = open.singleValueExtendedProperties.find((p) => p.value.startsWith('hs-'))!.value;
    await h.waitForState(openId, ['sent']);
    const again = await h.deliverWebhook('1001');
    expect((await h.waitForState(again.requestId, ['suppressed', 'awaiting_review'])).state).toBe(
      'awaiting_review',
    );
  });
});
