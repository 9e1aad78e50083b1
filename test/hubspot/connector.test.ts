import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotCrm } from '../../connectors/hubspot/connector.ts';
import { ensureCustomProperties } from '../../connectors/hubspot/setup.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../sandbox/hubspot/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { RedisRateBudget } from '../../src/rate-budget.ts';
import { defaultPolicy, deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

const TOKEN = 'pat-eu1-sandbox-token';

describe('HubSpot connector against the simulator (real @hubspot/api-client)', () => {
  let sim: HubSpotSimulator;
  let crm: HubSpotCrm;
  const fields = defaultPolicy().flows.callback!.fields;

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: TOKEN });
    // No real backoff between 5xx retries: the retry count is what is tested, not the wait.
    crm = new HubSpotCrm({
      accessToken: TOKEN,
      basePath: sim.url,
      requestsPer10s: 100,
      timeoutMs: 500,
      sleep: async () => undefined,
    });
    sim.seedContact({
      id: '501',
      properties: {
        firstname: 'Erika',
        lastname: 'Musterfrau',
        email: 'erika.musterfrau@example.com',
        salutation: 'Frau',
        hs_language: 'de',
        hubspot_owner_id: '77',
        lifecyclestage: 'lead',
        annualrevenue: '5000000',
        date_of_birth: '1980-01-01',
      },
    });
    sim.seedOwner({ id: '77', email: 'max.vertrieb@example.com', firstName: 'Max', lastName: 'Vertrieb' });
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.requests.length = 0;
  });

  it('asks only for the policy fields and drops anything else that comes back', async () => {
    const contact = await crm.getContact({ type: 'contact', id: '501' }, fields);
    expect(contact!.properties).toMatchObject({
      firstname: 'Erika',
      lastname: 'Musterfrau',
      email: 'erika.musterfrau@example.com',
      phone: null,
    });
    expect(Object.keys(contact!.properties).sort()).toEqual([...fields].sort());
    const [req] = sim.requests;
    expect(req!.path).toBe('/crm/v3/objects/contacts/501');
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const asked = ([] as string[]).concat(req!.query.properties as string[]).flatMap((p) => p.split(','));
    // A connector that asked for more than the policy allows would fail here.
    for (const p of asked) expect(fields).toContain(p);
    expect(asked).not.toContain('date_of_birth');
    expect(contact!.properties).not.toHaveProperty('date_of_birth');
  });

  it('resolves the owner to a mailbox and answers null for unknown contacts and owners', async () => {
    expect(await crm.getOwner('77')).toEqual({
      id: '77',
      email: 'max.vertrieb@example.com',
      firstName: 'Max',
      lastName: 'Vertrieb',
    });
    expect(await crm.getOwner('404404')).toBeNull();
    expect(await crm.getContact({ type: 'contact', id: '999999' }, fields)).toBeNull();
  });

  it('creates a note associated with the contact (type 202) and updates properties after setup', async () => {
    await ensureCustomProperties(crm.client);
    await ensureCustomProperties(crm.client); // idempotent
    const note = await crm.createNote({
      record: { type: 'contact', id: '501' },
      body: '<p>draftbridge test</p>',
      ownerId: '77',
      at: new Date('2026-11-22T10:00:00Z'),
    });
    const stored = sim.notes.find((n) => n.id === note.id)!;
    expect(stored.properties).toMatchObject({
      hs_note_body: '<p>draftbridge test</p>',
      hs_timestamp: '2026-11-22T10:00:00.000Z',
      hubspot_owner_id: '77',
    });
    expect(stored.associations).toEqual([
      { to: { id: '501' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] },
    ]);
    await crm.updateContact({ type: 'contact', id: '501' }, { draftbridge_status: 'awaiting_review' });
    expect(sim.contacts.get('501')!.properties.draftbridge_status).toBe('awaiting_review');
  });

  it('maps a long Retry-After to UpstreamRateLimited at once; a rolling-window 429 is waited out briefly, twice, then pauses for the interval', async () => {
    sim.inject({ status: 429, retryAfterSeconds: 3, times: 1 });
    const err = await crm.getContact({ type: 'contact', id: '501' }, fields).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(3000);
    expect(sim.requests).toHaveLength(1);
    sim.requests.length = 0;
    const sleeps: number[] = [];
    const recording = new HubSpotCrm({
      accessToken: TOKEN,
      basePath: sim.url,
      requestsPer10s: 100,
      sleep: async (ms) => void sleeps.push(ms),
    });
    sim.inject({ status: 429, times: 1 });
    expect((await recording.getContact({ type: 'contact', id: '501' }, fields))?.id).toBe('501');
    expect(sleeps).toEqual([1_000]);
    sim.inject({ status: 429, times: 3 });
    const noHeader = await recording
      .getContact({ type: 'contact', id: '501' }, fields)
      .catch((e: unknown) => e);
    expect((noHeader as UpstreamRateLimited).retryAfterMs).toBe(10_000);
    expect(sim.requests).toHaveLength(5);
  });

  it('retries 5xx and succeeds; persistent 5xx, timeouts and malformed bodies become UpstreamUnavailable', async () => {
    sim.inject({ status: 502, times: 2 });
    expect((await crm.getContact({ type: 'contact', id: '501' }, fields))!.id).toBe('501');
    expect(sim.requests).toHaveLength(3);
    sim.inject({ status: 503, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: '501' }, fields)).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
    sim.inject({ timeout: true, timeoutMs: 1000, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: '501' }, fields)).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
    sim.inject({ malformed: true, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: '501' }, fields)).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
  });

  it('reports other 4xx as UpstreamRejected (a property that does not exist)', async () => {
    await expect(
      crm.updateContact({ type: 'contact', id: '501' }, { no_such_property: 'x' }),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('serves the date-based contact path like v3, with HubSpot error bodies', async () => {
    const res = await fetch(`${sim.url}/crm/objects/2026-03/contacts/501?properties=firstname,email`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { properties: Record<string, string> };
    expect(Object.keys(body.properties).sort()).toEqual([
      'createdate',
      'email',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
    ]);
    const missing = await fetch(`${sim.url}/crm/v3/objects/contacts/1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      correlationId: expect.any(String),
    });
    const unauth = await fetch(`${sim.url}/crm/v3/objects/contacts/501`);
    expect(unauth.status).toBe(401);
  });

  it("shares the portal's ten-second budget across processes; the simulator enforces the rolling window with HubSpot's 429", async () => {
    const redis = await testRedis();
    const prefix = uniquePrefix('hubspot-quota');
    try {
      sim.setRateLimit({ max: 3, intervalMs: 10_000 });
      const sleeps: number[] = [];
      const rateBudget = new RedisRateBudget(redis, { prefix });
      // Two processes' connectors on one portal budget of 3 per 10 s (owner cache off: every lookup is a call).
      const [a, b] = [0, 1].map(
        () =>
          new HubSpotCrm({
            accessToken: TOKEN,
            basePath: sim.url,
            requestsPer10s: 3,
            rateBudget,
            ownerCacheTtlMs: 0,
            sleep: async (ms) => void sleeps.push(ms),
          }),
      );
      await a!.getOwner('77');
      await b!.getOwner('77');
      await a!.getOwner('77');
      expect(sleeps).toEqual([]);
      // The fourth call, from either process, is booked after the first leaves the window (not slept here).
      const booked = new HubSpotCrm({
        accessToken: TOKEN,
        basePath: sim.url,
        requestsPer10s: 3,
        rateBudget,
        ownerCacheTtlMs: 0,
        sleep: async (ms) => void sleeps.push(ms),
      });
      const err = await booked.getOwner('77').catch((e: unknown) => e);
      expect(sleeps[0]).toBeGreaterThan(9_000);
      expect(sleeps[0]).toBeLessThanOrEqual(10_250);
      // Not having waited, it met the simulator's limit: each 429 is waited out 1 s and booked again
      // (another window later), twice; then the stage's queue pauses.
      expect(sleeps.slice(1).map((ms) => (ms === 1_000 ? 'retry' : ms > 9_000 ? 'booked' : ms))).toEqual([
        'retry',
        'booked',
        'retry',
        'booked',
      ]);
      expect(err).toBeInstanceOf(UpstreamRateLimited);
      expect(sim.rateLimitStats()).toEqual({ calls: 3, throttled: 3 });
      const res = await fetch(`${sim.url}/crm/v3/owners/77`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('3');
      expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      expect(await res.json()).toEqual({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: expect.any(String),
        policyName: 'TEN_SECONDLY_ROLLING',
        requestId: expect.any(String),
      });
    } finally {
      sim.setRateLimit(undefined);
      await deletePrefix(prefix);
      redis.disconnect();
    }
  });
});
