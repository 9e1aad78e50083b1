import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CRMS,
  leakedValues,
  startPipelineHarness,
  type PipelineHarness,
} from '../support/pipeline-harness.ts';

/**
 * The same end-to-end behaviour for every CRM: each CRM's real SDK against its simulator, its own
 * trigger (HubSpot webhook, Salesforce Outbound Message, Dataverse webhook), Graph and the LLM
 * simulators, real Redis.
 */
describe.each(CRMS)('end to end with %s as the CRM', (crm) => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ crm });
  });
  afterAll(() => h.close());

  it('drafts a German callback e-mail in the owner’s Outlook and writes status and a note back to the CRM record', async () => {
    const { status, requestId } = await h.deliverWebhook('1001');
    expect(status).toBe(crm === 'salesforce' ? 200 : 204); // Salesforce wants the SOAP Ack
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    expect(record.objectType).toBe('contact');
    await h.waitForCrmNote(requestId);
    const [draft, ...more] = h.draftsFor(requestId);
    expect(more).toHaveLength(0);
    expect(draft).toMatchObject({
      mailbox: 'max.vertrieb@example.com',
      to: ['erika.musterfrau@example.com'],
      isDraft: true,
    });
    expect(draft!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    expect(draft!.body).toContain('Beispiel Maschinenbau GmbH');
    expect(draft!.body).toContain('Max Vertrieb');
    const view = h.crmView('1001');
    expect(view.status).toBe('awaiting_review');
    expect(view.notes.some((n) => n.includes(requestId))).toBe(true);
    expect(view.notes.join('\n')).not.toContain('Sehr geehrte');
  });

  it('writes English for an English contact and starts the new-lead flow for a new lead', async () => {
    const en = await h.deliverWebhook('1002');
    const lead = await h.deliverWebhook('1006');
    await h.waitForState(en.requestId, ['awaiting_review']);
    const leadRecord = await h.waitForState(lead.requestId, ['awaiting_review']);
    expect(leadRecord.flow).toBe('new_lead');
    expect(leadRecord.objectType).toBe(crm === 'hubspot' ? 'contact' : 'lead');
    expect(h.draftsFor(en.requestId)[0]!.body.startsWith('Dear Mr Example,')).toBe(true);
    const leadDraft = h.draftsFor(lead.requestId)[0]!;
    expect(leadDraft.subject).toBe('Ihr Kennenlerngespräch');
    expect(leadDraft.to).toEqual(['lea.neukunde@example.com']);
    expect(leadDraft.mailbox).toBe('sophie.lindqvist@example.com');
  });

  it('routes a health note to the local model and blocks a religion note without any LLM call', async () => {
    const before = h.sandbox.llm.requests.length;
    const health = await h.deliverWebhook('1003');
    const religion = await h.deliverWebhook('1004');
    expect((await h.waitForState(health.requestId, ['awaiting_review'])).route).toBe('local');
    expect((await h.waitForState(religion.requestId, ['blocked_sensitive'])).categories).toBe('religion');
    await h.waitForCrmNote(religion.requestId);
    expect(h.draftsFor(religion.requestId)).toHaveLength(0);
    expect(h.sandbox.llm.requests.slice(before).map((r) => r.path)).toEqual(['/v1/chat/completions']);
    const notes = h.crmView('1004').notes;
    expect(notes.at(-1)).toContain('besondere Kategorien');
    expect(notes.join('\n')).not.toContain('Synagoge');
  });

  it('makes no draft for a person who objected in the CRM', async () => {
    const { requestId } = await h.deliverWebhook('1005');
    await h.waitForState(requestId, ['suppressed']);
    expect(h.draftsFor(requestId)).toHaveLength(0);
  });

  it('makes one draft from a redelivered trigger', async () => {
    const first = await h.deliverWebhook('1002', { eventId: 9_100_001 });
    const again = await h.deliverWebhook('1002', { eventId: 9_100_001, attemptNumber: 1 });
    expect(again.requestId).toBe(first.requestId);
    await h.waitForState(first.requestId, ['awaiting_review']);
    await h.waitForCrmNote(first.requestId);
    const late = await h.deliverWebhook('1002', { eventId: 9_100_001, attemptNumber: 2 });
    expect(late.status).toBe(again.status);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.draftsFor(first.requestId)).toHaveLength(1);
  });

  it('ends in one draft each when the CRM answers with its rate limit and 5xx', async () => {
    // HubSpot and Dataverse: 429 with Retry-After; Salesforce: 403 REQUEST_LIMIT_EXCEEDED (and 503).
    h.injectCrm({ status: crm === 'salesforce' ? 403 : 429, retryAfterSeconds: 1, times: 3 });
    h.injectCrm({ status: 503, times: 3 });
    h.sandbox.llm.inject({ status: 429, retryAfterMs: 300, times: 2 });
    const ids = await Promise.all(
      ['1001', '1002', '1006'].map(async (c) => (await h.deliverWebhook(c)).requestId),
    );
    for (const id of ids) {
      const r = await h.waitForState(id, ['awaiting_review', 'failed'], 40_000);
      expect(r.state).toBe('awaiting_review');
      expect(h.draftsFor(id)).toHaveLength(1);
    }
  });

  it('never sent a personal value to the LLM and never logged one', async () => {
    const values = h.personalValues();
    const llmBodies = h.sandbox.llm.requests.map((r) => JSON.stringify(r.body));
    expect(llmBodies.length).toBeGreaterThan(3);
    expect(leakedValues(llmBodies, values)).toEqual([]);
    expect(h.logs.length).toBeGreaterThan(20);
    expect(leakedValues(h.logs, values)).toEqual([]);
    // Nor a webhook credential (Dataverse's key arrives in the query string).
    const key = h.ctx.settings.DATAVERSE_WEBHOOK_KEY;
    if (key) expect(h.logs.join('\n')).not.toContain(key);
  });
});
