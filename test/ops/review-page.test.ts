import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_USERS } from '../../sandbox/oidc/simulator.ts';
import type { ReviewView } from '../../src/http/review-page.ts';
import { leakedValues, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('review page /ops over the real pipeline', () => {
  let h: PipelineHarness;
  let viewer: string;
  let operator: string;
  const ids = { review: '', blocked: '', dead: '', approved: '' };

  beforeAll(async () => {
    h = await startPipelineHarness();
    viewer = `Bearer ${await h.sandbox.oidc.issueToken({ user: OIDC_USERS[0] })}`;
    operator = `Bearer ${await h.sandbox.oidc.issueToken({ user: OIDC_USERS[1] })}`;
    ids.review = (await h.deliverWebhook('1001')).requestId;
    ids.approved = (await h.deliverWebhook('1002')).requestId;
    ids.blocked = (await h.deliverWebhook('1004')).requestId;
    await h.waitForState(ids.review, ['awaiting_review']);
    await h.waitForState(ids.approved, ['awaiting_review']);
    await h.waitForState(ids.blocked, ['blocked_sensitive']);
    const draft = h.sandbox.graph
      .mailbox('sophie.lindqvist@example.com')
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === ids.approved))!;
    await h.sandbox.graph.sendDraftAsUser('sophie.lindqvist@example.com', draft.immutableId);
    await h.waitForState(ids.approved, ['sent']);
    // A permanent CRM refusal dead-letters the request at once.
    h.sandbox.hubspot.inject({
      status: 403,
      times: 1,
      path: /\/crm\/v3\/objects\/contacts\/1006$/,
      method: 'GET',
    });
    ids.dead = (await h.deliverWebhook('1006')).requestId;
    await h.waitForState(ids.dead, ['failed']);
    // The rep's CRM note about the failure is written (an operator's retry meanwhile is refused as busy).
    await h.waitForCrmNote(ids.dead);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const view = async (authorization = viewer) =>
    (
      await h.app.inject({ url: '/ops', headers: { authorization, accept: 'application/json' } })
    ).json() as ReviewView;

  it('counts drafts awaiting review per mailbox (the CRM owner, never the address), decisions per day, blocked categories and dead letters', async () => {
    const v = await view();
    expect(v.awaiting.map((a) => a.requestId)).toEqual([ids.review]);
    expect(v.awaiting[0]!.ownerId).toBe('9001');
    expect(v.mailboxes).toEqual([expect.objectContaining({ ownerId: '9001', waiting: 1 })]);
    const today = v.days.at(-1)!.counts;
    expect(today.approved).toBe(1);
    expect(today.awaiting).toBe(2);
    expect(today.blocked).toBe(1);
    expect(v.blockedByCategory.religion).toBe(1);
    expect(v.deadLetters).toEqual([
      expect.objectContaining({ requestId: ids.dead, stage: 'intake', error: 'UpstreamRejected' }),
    ]);
  });

  it('renders HTML without any personal value; viewers get no retry button', async () => {
    const res = await h.app.inject({ url: '/ops', headers: { authorization: viewer, accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain(ids.dead);
    expect(res.body).toContain('owner 9001');
    expect(res.body).not.toContain('data-retry=');
    expect(leakedValues([res.body], h.personalValues())).toEqual([]);
    const asOperator = await h.app.inject({
      url: '/ops',
      headers: { authorization: operator, accept: 'text/html' },
    });
    expect(asOperator.body).toContain(`data-retry="${ids.dead}"`);
    expect(asOperator.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect(leakedValues([asOperator.body], h.personalValues())).toEqual([]);
  });

  it('a viewer may not retry; an operator restarts the dead-lettered request and it reaches review', async () => {
    const url = `/ops/dead-letters/${ids.dead}/retry`;
    expect((await h.app.inject({ method: 'POST', url, headers: { authorization: viewer } })).statusCode).toBe(
      403,
    );
    expect((await h.app.inject({ method: 'POST', url })).statusCode).toBe(401);
    const res = await h.app.inject({ method: 'POST', url, headers: { authorization: operator } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ requestId: ids.dead, restarted: 'intake' });
    await h.waitForState(ids.dead, ['awaiting_review']);
    expect((await view()).deadLetters).toEqual([]);
    const again = await h.app.inject({ method: 'POST', url, headers: { authorization: operator } });
    expect(again.statusCode).toBe(409);
    // A second retry is refused: the request is no longer dead-lettered, or (on a slow machine) its
    // restarted intake job is still busy.
    expect(['not_dead_lettered', 'busy']).toContain(again.json().code);
    const retried = (await h.ctx.audit.read({ requestId: ids.dead })).find(
      (e) => e.type === 'request.retried',
    );
    expect(retried?.actor).toMatch(/^oidc:[a-f0-9]{32}$/);
  });

  it('lists a request that failed for a reason of its own (unknown contact): visible on /ops, not only in the log', async () => {
    const { requestId } = await h.deliverWebhook('9999');
    expect((await h.waitForState(requestId, ['failed'])).reason).toBe('contact_not_found');
    const v = await view();
    expect(v.failed).toContainEqual(expect.objectContaining({ requestId, reason: 'contact_not_found' }));
    const html = (
      await h.app.inject({ url: '/ops', headers: { authorization: viewer, accept: 'text/html' } })
    ).body;
    expect(html).toContain('<table id="failed">');
    expect(html).toContain(requestId);
  });
});
