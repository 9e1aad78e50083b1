import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOLD_PROPERTY, REQUEST_ID_PROPERTY } from '../../connectors/graph/connector.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const OWNER = 'max.vertrieb@example.com';

describe('tentative holds for offered slots (scheduling.holds)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      policy: (p) => ({ ...p, scheduling: { ...p.scheduling, holds: true } }),
    });
  });
  afterEach(() => h.settle());
  afterAll(() => h.close());

  const eventsOf = (requestId: string, property: string) =>
    h.sandbox.graph
      .events(OWNER)
      .filter((e) => e.singleValueExtendedProperties.some((p) => p.id === property && p.value === requestId));

  it('holds each offered slot tentatively, and the contact’s choice replaces them with the one meeting', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const offered = (record.slots ?? '').split(' ').filter(Boolean);
    const holds = eventsOf(requestId, HOLD_PROPERTY);
    expect(holds.map((e) => `${e.start}/${e.end}`).sort()).toEqual([...offered].sort());
    expect(holds.every((e) => e.showAs === 'tentative' && e.transactionId)).toBe(true);

    const draft = h.sandbox.graph
      .mailbox(OWNER)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser(OWNER, draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    await h.sandbox.graph.simulateReply(
      OWNER,
      draft.conversationId,
      'erika.musterfrau@example.com',
      'Option 1 passt.',
    );
    const booked = await h.waitForState(requestId, ['booked']);
    expect(booked.bookedSlot).toBe(offered[0]);
    expect(eventsOf(requestId, HOLD_PROPERTY)).toHaveLength(0);
    expect(eventsOf(requestId, REQUEST_ID_PROPERTY)).toHaveLength(1);
  });

  it('a rejected draft releases its holds; other requests’ holds count as busy', async () => {
    const first = await h.deliverWebhook('1001');
    const firstRecord = await h.waitForState(first.requestId, ['awaiting_review']);
    await h.waitForCrmNote(first.requestId);
    const second = await h.deliverWebhook('1001');
    const secondRecord = await h.waitForState(second.requestId, ['awaiting_review']);
    await h.waitForCrmNote(second.requestId);
    const a = new Set((firstRecord.slots ?? '').split(' '));
    expect((secondRecord.slots ?? '').split(' ').filter((s) => a.has(s))).toEqual([]);

    const draft = h.sandbox.graph
      .mailbox(OWNER)
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === first.requestId))!;
    await h.sandbox.graph.deleteAsUser(OWNER, draft.immutableId);
    await h.waitForState(first.requestId, ['rejected']);
    expect(eventsOf(first.requestId, HOLD_PROPERTY)).toHaveLength(0);
    expect(eventsOf(second.requestId, HOLD_PROPERTY).length).toBeGreaterThan(0);
  });
});
