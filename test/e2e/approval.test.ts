import { keysFor } from '../../src/keys.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('approval in Outlook flows back into the CRM (Graph change notifications)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h.close());

  const draftId = (requestId: string) =>
    h.sandbox.graph
      .mailbox('max.vertrieb@example.com')
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
  const notesFor = (contactId: string) =>
    h.sandbox.hubspot.notes
      .filter((n) => n.associations[0]!.to.id === contactId)
      .map((n) => n.properties.hs_note_body!);

  it('subscribed the owner’s mailbox after the handshake; sending the draft is the approval', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const subs = [...h.sandbox.graph.subscriptions.values()];
    expect(subs.map((s) => s.resource).sort()).toEqual([
      "users/max.vertrieb@example.com/mailFolders('Drafts')/messages",
      "users/max.vertrieb@example.com/mailFolders('Inbox')/messages",
      "users/max.vertrieb@example.com/mailFolders('SentItems')/messages",
    ]);
    await h.sandbox.graph.sendDraftAsUser('max.vertrieb@example.com', draftId(requestId).immutableId);
    await h.waitForState(requestId, ['sent']);
    for (
      let i = 0;
      i < 100 && h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status !== 'sent';
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status).toBe('sent');
    expect(notesFor('1001').some((n) => n.includes('versendet') && n.includes(requestId))).toBe(true);

    // The lead answers in the same conversation: a note for the rep.
    await h.sandbox.graph.simulateReply(
      'max.vertrieb@example.com',
      draftId(requestId).conversationId,
      'erika.musterfrau@example.com',
    );
    for (let i = 0; i < 100 && !notesFor('1001').some((n) => n.includes('geantwortet')); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(notesFor('1001').some((n) => n.includes('geantwortet') && n.includes(requestId))).toBe(true);
    expect((await h.ctx.audit.read({ requestId })).map((e) => e.type)).toEqual(
      expect.arrayContaining(['request.sent', 'request.replied']),
    );
  });

  it('deleting the draft is the rejection', async () => {
    const { requestId } = await h.deliverWebhook('1003');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    await h.sandbox.graph.deleteAsUser('max.vertrieb@example.com', draftId(requestId).immutableId);
    await h.waitForState(requestId, ['rejected']);
    for (let i = 0; i < 100 && !notesFor('1003').some((n) => n.includes('verworfen')); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(notesFor('1003').some((n) => n.includes('verworfen') && n.includes(requestId))).toBe(true);
  });

  it('answers the validation handshake with the decoded token and ignores notifications with a wrong clientState', async () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 12ab';
    const res = await h.app.inject({
      method: 'POST',
      url: `/webhooks/graph?validationToken=${encodeURIComponent(token)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(token);
    const before = await h.ctx.queues['mail-events'].count();
    const forged = await h.app.inject({
      method: 'POST',
      url: '/webhooks/graph',
      payload: {
        value: [
          {
            subscriptionId: 'x',
            clientState: 'guess-guess-guess-guess',
            changeType: 'created',
            resource: 'Users/x/Messages/y',
            resourceData: { id: 'y' },
          },
        ],
      },
    });
    expect(forged.statusCode).toBe(202);
    expect(await h.ctx.queues['mail-events'].count()).toBe(before);
    expect(
      (await h.app.inject({ method: 'POST', url: '/webhooks/graph', payload: { nope: 1 } })).statusCode,
    ).toBe(400);
  });
});

describe('subscription upkeep', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h.close());

  it('renews subscriptions due within a day and forgets ones Graph no longer has', async () => {
    const { requestId } = await h.deliverWebhook('1002');
    await h.waitForState(requestId, ['awaiting_review']);
    const watch = h.workers!.deps.watch!;
    const [first, second] = [...h.sandbox.graph.subscriptions.values()];
    const before = first!.expirationDateTime;
    await new Promise((r) => setTimeout(r, 5));
    // Pretend three days have passed: everything is due.
    expect(await watch.renewDue(Date.now() + 3 * 86_400_000)).toBe(3);
    expect(Date.parse(first!.expirationDateTime)).toBeGreaterThan(Date.parse(before));
    h.sandbox.graph.subscriptions.delete(second!.id);
    await watch.renewDue(Date.now() + 3 * 86_400_000);
    expect(await watch.subscription(second!.id)).toBeNull();
    expect(
      await h.ctx.redis.exists(
        keysFor(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX).mailWatch.mailbox('sophie.lindqvist@example.com'),
      ),
    ).toBe(0);
  });
});
