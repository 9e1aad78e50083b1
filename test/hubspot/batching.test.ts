import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotCrm } from '../../connectors/hubspot/connector.ts';
import { ensureCustomProperties } from '../../connectors/hubspot/setup.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../sandbox/hubspot/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected } from '../../src/errors.ts';

const TOKEN = 'pat-eu1-batch-token';
const FIELDS = ['firstname', 'email', 'hubspot_owner_id'];

/** Vendor calls per request: owners cached, reads and writes that wait together go out as one batch call. */
describe('HubSpot connector batching and owner cache (real @hubspot/api-client against the simulator)', () => {
  let sim: HubSpotSimulator;
  let crm: HubSpotCrm;
  const calls = (endpoint: string) => sim.calls()[endpoint] ?? 0;

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: TOKEN });
    crm = new HubSpotCrm({
      accessToken: TOKEN,
      basePath: sim.url,
      requestsPer10s: 1000,
      timeoutMs: 2000,
      sleep: async () => undefined,
    });
    for (const id of ['601', '602', '603', '604'])
      sim.seedContact({
        id,
        properties: {
          firstname: `Test${id}`,
          email: `test${id}@example.com`,
          hubspot_owner_id: '88',
          date_of_birth: '1980-01-01',
        },
      });
    sim.seedOwner({ id: '88', email: 'vera.vertrieb@example.com', firstName: 'Vera', lastName: 'Vertrieb' });
    await ensureCustomProperties(crm.client);
  });
  afterAll(() => sim.close());
  afterEach(() => sim.clearFaults());

  it('reads contacts that wait together with one batch read, minimised, null for an unknown id', async () => {
    const before = calls('POST /crm/v3/objects/contacts/batch/read');
    const singles = calls('GET /crm/v3/objects/contacts/:id');
    const [a, b, missing, again] = await Promise.all(
      ['601', '602', '999999', '601'].map((id) => crm.getContact({ type: 'contact', id }, FIELDS)),
    );
    expect(calls('POST /crm/v3/objects/contacts/batch/read') - before).toBe(1);
    expect(calls('GET /crm/v3/objects/contacts/:id')).toBe(singles);
    expect(a).toEqual({
      id: '601',
      properties: { firstname: 'Test601', email: 'test601@example.com', hubspot_owner_id: '88' },
    });
    expect(b!.properties.firstname).toBe('Test602');
    expect(again).toEqual(a);
    expect(missing).toBeNull();
    // The batch asked for the policy's fields only and named each id once.
    const request = sim.requests.findLast((r) => r.path === '/crm/v3/objects/contacts/batch/read')!;
    expect(request.body).toMatchObject({
      properties: FIELDS,
      inputs: [{ id: '601' }, { id: '602' }, { id: '999999' }],
    });
  });

  it('a single waiting read still uses the single-object endpoint', async () => {
    const singles = calls('GET /crm/v3/objects/contacts/:id');
    expect((await crm.getContact({ type: 'contact', id: '603' }, FIELDS))!.id).toBe('603');
    expect(calls('GET /crm/v3/objects/contacts/:id') - singles).toBe(1);
  });

  it('asks HubSpot once per owner while the cache holds it, also for concurrent lookups', async () => {
    const fresh = new HubSpotCrm({ accessToken: TOKEN, basePath: sim.url, requestsPer10s: 1000 });
    const before = calls('GET /crm/v3/owners/:id');
    const owners = await Promise.all([fresh.getOwner('88'), fresh.getOwner('88'), fresh.getOwner('88')]);
    expect(await fresh.getOwner('88')).toEqual({
      id: '88',
      email: 'vera.vertrieb@example.com',
      firstName: 'Vera',
      lastName: 'Vertrieb',
    });
    expect(owners.every((o) => o?.email === 'vera.vertrieb@example.com')).toBe(true);
    expect(calls('GET /crm/v3/owners/:id') - before).toBe(1);
    // Unknown owners are not cached: an owner added later is found at once.
    expect(await fresh.getOwner('89')).toBeNull();
    sim.seedOwner({ id: '89', email: 'neu.vertrieb@example.com', firstName: 'Neu', lastName: 'Vertrieb' });
    expect((await fresh.getOwner('89'))?.email).toBe('neu.vertrieb@example.com');
  });

  it('expires cached owners after the TTL', async () => {
    const shortLived = new HubSpotCrm({
      accessToken: TOKEN,
      basePath: sim.url,
      requestsPer10s: 1000,
      ownerCacheTtlMs: 50,
    });
    const before = calls('GET /crm/v3/owners/:id');
    await shortLived.getOwner('88');
    await shortLived.getOwner('88');
    expect(calls('GET /crm/v3/owners/:id') - before).toBe(1);
    sim.owners.get('88')!.lastName = 'Vertrieb-Neu';
    await new Promise((r) => setTimeout(r, 80));
    expect((await shortLived.getOwner('88'))?.lastName).toBe('Vertrieb-Neu');
    expect(calls('GET /crm/v3/owners/:id') - before).toBe(2);
  });

  it('creates notes that wait together with one batch call; a refused item fails alone and nothing is doubled', async () => {
    const before = calls('POST /crm/v3/objects/notes/batch/create');
    const notesBefore = sim.notes.length;
    const at = new Date('2026-11-22T10:00:00Z');
    const outcomes = await Promise.allSettled(
      ['601', '602', '777777', '603'].map((id) =>
        crm.createNote({
          record: { type: 'contact', id },
          body: `<p>request for ${id}</p>`,
          ownerId: '88',
          at,
        }),
      ),
    );
    expect(calls('POST /crm/v3/objects/notes/batch/create') - before).toBe(1);
    const [a, b, bad, c] = outcomes;
    expect(bad).toMatchObject({ status: 'rejected', reason: expect.any(UpstreamRejected) });
    // Each caller got the id of its own note (the simulator answers out of order).
    for (const [outcome, id] of [
      [a, '601'],
      [b, '602'],
      [c, '603'],
    ] as const) {
      expect(outcome?.status).toBe('fulfilled');
      const note = sim.notes.find(
        (n) => n.id === (outcome as PromiseFulfilledResult<{ id: string }>).value.id,
      )!;
      expect(note.properties.hs_note_body).toBe(`<p>request for ${id}</p>`);
      expect(note.associations[0]!.to.id).toBe(id);
    }
    expect(sim.notes.length - notesBefore).toBe(3);
  });

  it('a batch HubSpot refuses as a whole (no trace ids) created nothing, so the items go again alone', async () => {
    // The simulator is all-or-nothing without trace ids, as HubSpot is:
    const notesBefore = sim.notes.length;
    const res = await fetch(`${sim.url}/crm/v3/objects/notes/batch/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { properties: { hs_timestamp: '2026-11-22T10:00:00Z', hs_note_body: 'x' } },
          { properties: { hs_note_body: 'no timestamp' } },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(sim.notes.length).toBe(notesBefore);
    // The connector's fallback: a whole-batch 400 is retried item by item (updates here).
    const before = calls('POST /crm/v3/objects/contacts/batch/update');
    const singles = calls('PATCH /crm/v3/objects/contacts/:id');
    const outcomes = await Promise.allSettled([
      crm.updateContact({ type: 'contact', id: '601' }, { draftbridge_status: 'awaiting_review' }),
      crm.updateContact({ type: 'contact', id: '602' }, { no_such_property: 'x' }),
      crm.updateContact({ type: 'contact', id: '603' }, { draftbridge_status: 'sent' }),
    ]);
    expect(calls('POST /crm/v3/objects/contacts/batch/update') - before).toBe(1);
    expect(calls('PATCH /crm/v3/objects/contacts/:id') - singles).toBe(3);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sim.contacts.get('601')!.properties.draftbridge_status).toBe('awaiting_review');
    expect(sim.contacts.get('603')!.properties.draftbridge_status).toBe('sent');
  });

  it('updates contacts that wait together with one batch call; an unknown id fails alone; two updates of one contact merge', async () => {
    const before = calls('POST /crm/v3/objects/contacts/batch/update');
    const outcomes = await Promise.allSettled([
      crm.updateContact({ type: 'contact', id: '601' }, { draftbridge_status: 'drafted' }),
      crm.updateContact({ type: 'contact', id: '888888' }, { draftbridge_status: 'drafted' }),
      crm.updateContact({ type: 'contact', id: '604' }, { draftbridge_status: 'awaiting_review' }),
      crm.updateContact(
        { type: 'contact', id: '601' },
        { draftbridge_status: 'sent', draftbridge_last_request_id: 'req-2' },
      ),
    ]);
    expect(calls('POST /crm/v3/objects/contacts/batch/update') - before).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ status: 404 });
    expect(sim.contacts.get('601')!.properties).toMatchObject({
      draftbridge_status: 'sent',
      draftbridge_last_request_id: 'req-2',
    });
    expect(sim.contacts.get('604')!.properties.draftbridge_status).toBe('awaiting_review');
  });

  it('a 429 on a batch (Retry-After past what is waited out in process) fails every caller in it, and nothing was written', async () => {
    sim.inject({ status: 429, retryAfterSeconds: 5, path: /batch\/create$/, times: 1 });
    const notesBefore = sim.notes.length;
    const outcomes = await Promise.allSettled(
      ['601', '602'].map((id) =>
        crm.createNote({ record: { type: 'contact', id }, body: `<p>throttled ${id}</p>` }),
      ),
    );
    for (const o of outcomes)
      expect(o).toMatchObject({ status: 'rejected', reason: expect.any(UpstreamRateLimited) });
    expect(((outcomes[0] as PromiseRejectedResult).reason as UpstreamRateLimited).retryAfterMs).toBe(5000);
    expect(sim.notes.length).toBe(notesBefore);
  });

  it('the simulator refuses batches over 100 inputs, as HubSpot does', async () => {
    const res = await fetch(`${sim.url}/crm/v3/objects/contacts/batch/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: ['email'],
        inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })),
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });
});
