import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privacyRoutes } from '../../src/http/privacy-routes.ts';
import { keysFor } from '../../src/keys.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('data-subject requests (access, erasure, objection) at /privacy', () => {
  let h: PipelineHarness;
  let app: FastifyInstance;
  const auth = { authorization: 'Bearer dpo-token-0123456789' };
  beforeAll(async () => {
    h = await startPipelineHarness();
    // The DPO's endpoints on a second app over the same context, with ops credentials configured.
    app = Fastify();
    await app.register(
      privacyRoutes(
        { ...h.ctx, settings: { ...h.ctx.settings, DRAFTBRIDGE_DPO_TOKEN: 'dpo-token-0123456789' } },
        h.workers!.deps.crm,
      ),
    );
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });
  const dpo = () => app;

  it('answers access with the requests, the personal values still held and the audit events; nothing without credentials', async () => {
    const { requestId } = await h.deliverWebhook('1002');
    await h.waitForState(requestId, ['awaiting_review']);
    expect((await dpo().inject({ method: 'POST', url: '/privacy/subjects/1002/access' })).statusCode).toBe(
      401,
    );
    const res = await dpo().inject({ method: 'POST', url: '/privacy/subjects/1002/access', headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.requests.map((r: { requestId: string }) => r.requestId)).toContain(requestId);
    expect(body.auditEvents.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['request.received', 'request.awaiting_review']),
    );
    expect(body.objected).toBe(false);
    const ropa = await dpo().inject({ method: 'GET', url: '/privacy/ropa', headers: auth });
    expect(ropa.json().activities.map((a: { activity: string }) => a.activity)).toEqual([
      'callback',
      'new_lead',
    ]);
  });

  it('erasure deletes every request record and vault entry of the person, the audit chain stays valid', async () => {
    const { requestId } = await h.deliverWebhook('1006');
    await h.waitForState(requestId, ['awaiting_review']);
    // The crm-sync job writes its note id into the record: let it finish, or it recreates the key after the erasure.
    await h.waitForCrmNote(requestId);
    const res = await dpo().inject({ method: 'POST', url: '/privacy/subjects/1006/erasure', headers: auth });
    expect(res.json().requestsErased).toBeGreaterThanOrEqual(1);
    const prefix = h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    expect(
      await h.ctx.redis.exists(keysFor(prefix).request(requestId), keysFor(prefix).vault(requestId)),
    ).toBe(0);
    expect(
      (await dpo().inject({ method: 'POST', url: '/privacy/subjects/1006/access', headers: auth })).json()
        .requests,
    ).toEqual([]);
    expect(await h.ctx.audit.verify()).toMatchObject({ ok: true });
  });

  it('objection suppresses every later callback request and sets the CRM opt-out', async () => {
    const res = await dpo().inject({
      method: 'POST',
      url: '/privacy/subjects/1001/objection',
      headers: auth,
    });
    expect(res.json().crmUpdated).toBe(true);
    expect(h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_opt_out).toBe('true');
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['suppressed', 'awaiting_review']);
    expect(record.state).toBe('suppressed');
    expect(record.reason).toBe('suppression_list');
    expect(h.draftsFor(requestId)).toHaveLength(0);
  });
});
