import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('auto delivery (only for flows the policy marks so)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      policy: (p) => ({ ...p, flows: { ...p.flows, callback: { ...p.flows.callback!, delivery: 'auto' } } }),
    });
  });
  afterAll(() => h.close());

  it('sends with sendMail, exactly once even when the webhook is redelivered, and notes it in the CRM', async () => {
    const first = await h.deliverWebhook('1001', { eventId: 9_000_001 });
    await h.deliverWebhook('1001', { eventId: 9_000_001, attemptNumber: 1 });
    await h.waitForState(first.requestId, ['sent']);
    await h.waitForCrmNote(first.requestId);
    const sent = h.draftsFor(first.requestId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ isDraft: false, to: ['erika.musterfrau@example.com'] });
    expect(h.sandbox.graph.requests.filter((r) => r.path.endsWith('/sendMail'))).toHaveLength(1);
    expect(
      h.sandbox.graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')),
    ).toHaveLength(0);
    expect(h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status).toBe('sent');
  });

  it('still puts a draft for review for flows not marked auto', async () => {
    const { requestId } = await h.deliverWebhook('1006');
    await h.waitForState(requestId, ['awaiting_review']);
    expect(h.draftsFor(requestId)[0]!.isDraft).toBe(true);
  });
});
