import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leakedValues, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('pipeline end to end in sandbox mode (real SDKs against the simulators, real Redis)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  // Each case starts with no injected fault left and no job of an earlier case still moving.
  afterEach(() => h.settle());
  afterAll(() => h.close());

  it('turns a callback request into a German draft in the owner’s Outlook, addressed to the contact, with the real name and a correct salutation', async () => {
    const { status, requestId } = await h.deliverWebhook('1001');
    expect(status).toBe(204);
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    await h.waitForCrmNote(requestId);
    const [draft, ...more] = h.draftsFor(requestId);
    expect(more).toHaveLength(0);
    expect(draft).toMatchObject({
      mailbox: 'max.vertrieb@example.com',
      to: ['erika.musterfrau@example.com'],
      categories: ['KI-Entwurf – bitte prüfen'],
      isDraft: true,
    });
    expect(draft!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    expect(draft!.body).toContain('Beispiel Maschinenbau GmbH');
    expect(draft!.body).toContain('Max Vertrieb');
    expect(draft!.body).toContain('KI-Systems'); // AI-transparency notice in the mail's language
    expect(draft!.body).not.toMatch(/\[\[[A-Z]+_\d+\]\]/);
    const contact = h.sandbox.hubspot.contacts.get('1001')!;
    expect(contact.properties.draftbridge_status).toBe('awaiting_review');
    const note = h.sandbox.hubspot.notes.find(
      (n) => n.associations[0]!.to.id === '1001' && n.properties.hs_note_body?.includes(requestId),
    )!;
    expect(note.properties.hs_note_body).toContain(requestId);
    expect(note.properties.hs_note_body).not.toContain('Sehr geehrte'); // never the e-mail body
    // The vault entry is gone once the request is done.
    expect(await h.ctx.redis.exists(`${h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:vault:${requestId}`)).toBe(0);
  });

  it('writes English for an English contact and starts the new-lead flow for a new contact', async () => {
    const en = await h.deliverWebhook('1002');
    const lead = await h.deliverWebhook('1006');
    await h.waitForState(en.requestId, ['awaiting_review']);
    await h.waitForState(lead.requestId, ['awaiting_review']);
    expect(h.draftsFor(en.requestId)[0]!.body.startsWith('Dear Mr Example,')).toBe(true);
    expect(h.draftsFor(en.requestId)[0]!.body).toContain(
      'This e-mail was drafted with the help of an AI system',
    );
    const leadDraft = h.draftsFor(lead.requestId)[0]!;
    expect(leadDraft.subject).toBe('Ihr Kennenlerngespräch');
    expect(leadDraft.to).toEqual(['lea.neukunde@example.com']);
    expect(leadDraft.body.startsWith('Sehr geehrte Frau Neukunde,')).toBe(true);
  });

  it('routes a health note to the local model and blocks a religion note with a CRM note and no LLM call', async () => {
    const before = h.sandbox.llm.requests.length;
    const health = await h.deliverWebhook('1003');
    const religion = await h.deliverWebhook('1004');
    const r1 = await h.waitForState(health.requestId, ['awaiting_review']);
    expect(r1.route).toBe('local');
    const r2 = await h.waitForState(religion.requestId, ['blocked_sensitive']);
    expect(r2.categories).toBe('religion');
    await h.waitForCrmNote(religion.requestId);
    expect(h.draftsFor(religion.requestId)).toHaveLength(0);
    const calls = h.sandbox.llm.requests.slice(before);
    expect(calls.map((r) => r.path)).toEqual(['/v1/chat/completions']);
    const note = h.sandbox.hubspot.notes
      .filter(
        (n) => n.associations[0]!.to.id === '1004' && n.properties.hs_note_body?.includes(religion.requestId),
      )
      .at(-1)!;
    expect(note.properties.hs_note_body).toContain('besondere Kategorien');
    expect(note.properties.hs_note_body).not.toContain('Synagoge');
  });

  it('gives no draft to a contact who objected (CRM opt-out), and audits it', async () => {
    const { requestId } = await h.deliverWebhook('1005');
    await h.waitForState(requestId, ['suppressed']);
    expect(h.draftsFor(requestId)).toHaveLength(0);
    const events = await h.ctx.audit.read({ requestId });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['request.received', 'request.suppressed']),
    );
  });

  it('makes one draft from a redelivered webhook', async () => {
    const first = await h.deliverWebhook('1001', { eventId: 8_100_001 });
    const again = await h.deliverWebhook('1001', { eventId: 8_100_001, attemptNumber: 1 });
    expect(again.requestId).toBe(first.requestId);
    await h.waitForState(first.requestId, ['awaiting_review']);
    await h.waitForCrmNote(first.requestId);
    await h.deliverWebhook('1001', { eventId: 8_100_001, attemptNumber: 2 });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.draftsFor(first.requestId)).toHaveLength(1);
  });

  it('ends in drafts, not duplicates, under 429 and 5xx storms from every simulator', async () => {
    h.sandbox.hubspot.inject({ status: 429, retryAfterSeconds: 1, times: 2 });
    h.sandbox.hubspot.inject({ status: 503, times: 4 });
    h.sandbox.graph.inject({ status: 429, retryAfterSeconds: 1, times: 2, path: /messages/ });
    h.sandbox.graph.inject({ status: 500, times: 2, path: /messages/ });
    h.sandbox.llm.inject({ status: 429, retryAfterMs: 500, times: 2 });
    h.sandbox.llm.inject({ status: 503, times: 2 });
    const ids = await Promise.all(
      ['1001', '1002', '1006'].map(async (c) => (await h.deliverWebhook(c)).requestId),
    );
    for (const id of ids) {
      const r = await h.waitForState(id, ['awaiting_review', 'failed'], 40_000);
      expect(r.state).toBe('awaiting_review');
      expect(h.draftsFor(id)).toHaveLength(1);
    }
  });

  it('makes one draft when a mailbox 429 pauses the queue for longer than the job lock', async () => {
    // The harness's lock is 3 s: a 6 s pause used to let the stalled-job check start the same deliver
    // job a second time while the first was still running, and both created a draft.
    h.sandbox.graph.inject({
      status: 429,
      retryAfterSeconds: 6,
      times: 1,
      method: 'POST',
      path: /messages$/,
    });
    const { requestId } = await h.deliverWebhook('1002');
    const r = await h.waitForState(requestId, ['awaiting_review', 'failed'], 40_000);
    expect(r.state).toBe('awaiting_review');
    await h.settle();
    expect(h.draftsFor(requestId)).toHaveLength(1);
  }, 60_000);

  it('repairs a mangled placeholder, and falls back to the template when the answer stays unusable', async () => {
    h.sandbox.llm.mangle('lowercase', 1);
    const repaired = await h.deliverWebhook('1001');
    await h.waitForState(repaired.requestId, ['awaiting_review']);
    const [a] = h.draftsFor(repaired.requestId);
    expect(a!.categories).toEqual(['KI-Entwurf – bitte prüfen']);
    expect(a!.body).toContain('Beispiel Maschinenbau GmbH');
    expect(a!.body).not.toMatch(/\[\[|company_1/i);

    // An invented placeholder twice (first answer and the stricter retry): the template drafts.
    h.sandbox.llm.mangle('unknown_placeholder', 2);
    const unusable = await h.deliverWebhook('1001');
    const record = await h.waitForState(unusable.requestId, ['awaiting_review']);
    expect(record.templateFallback).toBe('llm_unknown_placeholder');
    expect(h.draftsFor(unusable.requestId)[0]!.categories).toEqual(['Vorlage – bitte prüfen']);
  });

  it('dead-letters a request whose contact cannot be read after every attempt, and tells the rep in the CRM', async () => {
    h.sandbox.hubspot.inject({
      status: 500,
      times: 1000,
      path: /\/crm\/v3\/objects\/contacts\/1002$/,
      method: 'GET',
    });
    const { requestId } = await h.deliverWebhook('1002');
    const record = await h.waitForState(requestId, ['failed'], 40_000);
    expect(record.reason).toBe('dead_letter');
    await h.waitForCrmNote(requestId);
    const note = h.sandbox.hubspot.notes
      .filter((n) => n.associations[0]!.to.id === '1002' && n.properties.hs_note_body?.includes(requestId))
      .at(-1)!;
    expect(note.properties.hs_note_body).toContain('Es kam kein Entwurf');
    const failedJob = await h.ctx.queues.intake.getJob(requestId);
    expect(await failedJob!.getState()).toBe('failed');
    expect((await h.ctx.audit.read({ requestId })).map((e) => e.type)).toContain('request.failed');
  });

  it('never sent a personal value to the LLM and never logged one', async () => {
    const values = h.personalValues();
    const llmBodies = h.sandbox.llm.requests.map((r) => JSON.stringify(r.body));
    expect(llmBodies.length).toBeGreaterThan(3);
    expect(leakedValues(llmBodies, values)).toEqual([]);
    expect(h.logs.length).toBeGreaterThan(20);
    expect(leakedValues(h.logs, values)).toEqual([]);
  });
});

describe('pipeline when the LLM is down', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h.close());

  it('still puts a draft in Outlook: the policy template, marked with its own category', async () => {
    h.sandbox.llm.setDown(true);
    const { requestId } = await h.deliverWebhook('1001');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed'], 30_000);
    expect(record.state).toBe('awaiting_review');
    expect(record.templateFallback).toMatch(/llm_unavailable|llm_circuit_open/);
    const [draft] = h.draftsFor(requestId);
    expect(draft!.categories).toEqual(['Vorlage – bitte prüfen']);
    expect(draft!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    expect(draft!.body).toContain('Max Vertrieb');
  });
});
