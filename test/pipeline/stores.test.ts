import type { RedisClient } from '../../src/redis.ts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/trail.ts';
import { InvalidTransition } from '../../src/pipeline/request-state.ts';
import { RequestNotFound } from '../../src/errors.ts';
import { keysFor } from '../../src/keys.ts';
import { LlmCircuit } from '../../src/pipeline/llm-circuit.ts';
import { RequestStore } from '../../src/pipeline/request-state.ts';
import { PseudonymVault } from '../../src/privacy/vault.ts';
import { z } from 'zod';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

describe('RequestStore and LlmCircuit on the real Redis', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('stores');
  let audit: AuditTrail;
  const erased: string[] = [];
  let store: RequestStore;
  beforeAll(async () => {
    redis = await testRedis();
    audit = new AuditTrail(redis, { prefix, key: randomBytes(32) });
    store = new RequestStore(redis, {
      prefix,
      ttlMs: 60_000,
      audit,
      onTerminal: async (id) => void erased.push(id),
    });
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const input = (requestId: string) => ({
    requestId,
    flow: 'callback',
    source: 'hubspot.app',
    account: '1',
    objectType: 'contact' as const,
    contactId: '1001',
    subject: 'b'.repeat(32),
  });

  it('opens a record once, with its subject index and TTL, and audits it once', async () => {
    const first = await store.open(input('req-store-1'));
    const again = await store.open(input('req-store-1'));
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.record).toMatchObject({ state: 'received', flow: 'callback', contactId: '1001' });
    expect(await store.idsForSubject('b'.repeat(32))).toEqual(['req-store-1']);
    expect(await redis.pttl(keysFor(prefix).request('req-store-1'))).toBeGreaterThan(50_000);
    expect((await audit.read({ requestId: 'req-store-1' })).map((e) => e.type)).toEqual(['request.received']);
  });

  it('leases a request to one run of a stage at a time; only the holder releases it', async () => {
    const first = await store.lease('req-lease-1', 'deliver', 60_000);
    expect(first).not.toBeNull();
    expect(await store.lease('req-lease-1', 'deliver', 60_000)).toBeNull();
    // Another stage or another request is not held.
    expect(await store.lease('req-lease-1', 'crm-sync', 60_000)).not.toBeNull();
    await first!();
    const again = await store.lease('req-lease-1', 'deliver', 60_000);
    expect(again).not.toBeNull();
    // A release by a run whose lease expired and was taken over leaves the new holder's lease alone.
    await first!();
    expect(await store.lease('req-lease-1', 'deliver', 60_000)).toBeNull();
    await again!();
  });

  it('moves state only from an allowed predecessor; a repeat is a no-op; terminal states erase', async () => {
    expect(
      await store.transition('req-store-1', 'fetched', { actor: 'test', facts: { ownerId: '9001' } }),
    ).toBe(true);
    expect(await store.transition('req-store-1', 'fetched', { actor: 'test' })).toBe(false);
    await expect(store.transition('req-store-1', 'sent', { actor: 'test' })).rejects.toBeInstanceOf(
      InvalidTransition,
    );
    expect(
      await store.transition('req-store-1', 'failed', { actor: 'test', facts: { reason: 'dead_letter' } }),
    ).toBe(true);
    expect(await store.get('req-store-1')).toMatchObject({
      state: 'failed',
      ownerId: '9001',
      reason: 'dead_letter',
    });
    expect(erased).toEqual(['req-store-1']);
    await expect(store.transition('req-none', 'fetched', { actor: 'test' })).rejects.toBeInstanceOf(
      RequestNotFound,
    );
  });

  it('moves from the record a stage read without reading again, and reads again when that record is stale', async () => {
    const subject = 'd'.repeat(32);
    const open = (id: string) => store.open({ ...input(id), subject });
    await open('req-seen-0'); // the subject has its audit key from here on
    await open('req-seen-1');
    const seen = (await store.get('req-seen-1'))!;
    expect(await store.transition('req-seen-1', 'fetched', { actor: 'test', seen })).toBe(true);
    // Stale: the record moved on since it was read (another worker); the move is then a repeat.
    expect(await store.transition('req-seen-1', 'fetched', { actor: 'test', seen })).toBe(false);
    // Stale the other way: read in `received`, moved to `fetched` meanwhile; `drafted` still goes through.
    await open('req-seen-2');
    const early = (await store.get('req-seen-2'))!;
    await store.transition('req-seen-2', 'fetched', { actor: 'test' });
    expect(await store.transition('req-seen-2', 'failed', { actor: 'test', seen: early })).toBe(true);
    expect((await store.get('req-seen-2'))!.state).toBe('failed');
    expect((await audit.read({ requestId: 'req-seen-2' })).map((e) => [e.type, e.details.from])).toEqual([
      ['request.received', undefined],
      ['request.fetched', 'received'],
      ['request.failed', 'fetched'],
    ]);
  });

  it('never links an event to a subject whose key was destroyed after the stage read the record', async () => {
    const subject = 'e'.repeat(32);
    await store.open({ ...input('req-shred'), subject });
    const before = (await audit.read({ requestId: 'req-shred' }))[0]!.subject;
    const seen = (await store.get('req-shred'))!;
    // An erasure destroys the subject's key between the stage's read and its transition.
    expect(await audit.shredSubject(subject)).toBe(true);
    expect(await store.transition('req-shred', 'fetched', { actor: 'test', seen })).toBe(true);
    const after = (await audit.read({ requestId: 'req-shred' })).at(-1)!;
    expect(after.type).toBe('request.fetched');
    expect(after.subject).not.toBe(before);
    expect(after.subject).toBe(await audit.read({ subject }).then((events) => events.at(-1)!.subject));
  });

  it('never seals with a key another process destroyed, though this one sealed with it a moment ago', async () => {
    const key = randomBytes(32);
    const mine = new AuditTrail(redis, { prefix: `${prefix}-two`, key });
    const other = new AuditTrail(redis, { prefix: `${prefix}-two`, key });
    const subject = 'f'.repeat(32);
    const event = {
      type: 'request.received',
      requestId: 'req-two',
      subject,
      actor: 'test',
      outcome: 'ok' as const,
      details: {},
    };
    const first = await mine.append(event);
    expect((await mine.append(event)).subject).toBe(first.subject);
    // The other process erases the subject, and a later event there gives the subject a fresh key.
    expect(await other.shredSubject(subject)).toBe(true);
    const fresh = await other.append(event);
    expect(fresh.subject).not.toBe(first.subject);
    expect((await mine.append(event)).subject).toBe(fresh.subject);
  });

  it("appends a stage's audit event in one script with the subject key its read came with, and never links it to a key destroyed since", async () => {
    const subject = 'a'.repeat(32);
    const synced = (requestId: string) => ({
      type: 'crm.synced',
      requestId,
      subject,
      actor: 'crm-sync',
      outcome: 'fetched',
      details: { noteCreated: true },
    });
    await store.open({ ...input('req-sync-1'), subject });
    const sealed = (await audit.read({ requestId: 'req-sync-1' }))[0]!.subject;
    const seen = (await store.get('req-sync-1'))!;
    await store.appendEvent(synced('req-sync-1'), seen);
    const event = (await audit.read({ requestId: 'req-sync-1' })).at(-1)!;
    expect([event.type, event.subject]).toEqual(['crm.synced', sealed]);
    // An erasure destroys the subject's key between the stage's read and its event: the event is
    // sealed with the subject's fresh key instead.
    await store.open({ ...input('req-sync-2'), subject });
    const read = (await store.get('req-sync-2'))!;
    expect(await audit.shredSubject(subject)).toBe(true);
    await store.appendEvent(synced('req-sync-2'), read);
    const after = (await audit.read({ requestId: 'req-sync-2' })).at(-1)!;
    expect(after.type).toBe('crm.synced');
    expect(after.subject).not.toBe(sealed);
    expect(after.subject).toBe(await audit.read({ subject }).then((events) => events.at(-1)!.subject));
    expect((await audit.verify()).ok).toBe(true);
  });

  it('writes an opening and its audit event in one script, sealed with the key the subject has even when another process made or destroyed it', async () => {
    const key = randomBytes(32);
    const other = `${prefix}-open`;
    const trailA = new AuditTrail(redis, { prefix: other, key });
    const trailB = new AuditTrail(redis, { prefix: other, key });
    const a = new RequestStore(redis, { prefix: other, ttlMs: 60_000, audit: trailA });
    const b = new RequestStore(redis, { prefix: other, ttlMs: 60_000, audit: trailB });
    const subject = 'c'.repeat(32);
    const sealedFor = async (requestId: string) => (await trailA.read({ requestId }))[0]!.subject;
    // A first: the subject's key is created in the opening's own script.
    expect((await a.open({ ...input('req-open-a'), subject })).created).toBe(true);
    // B has never seen the subject and proposes a key of its own: the script finds A's, and B's event is sealed with that.
    expect((await b.open({ ...input('req-open-b'), subject })).created).toBe(true);
    expect(await sealedFor('req-open-b')).toBe(await sealedFor('req-open-a'));
    // B erases the subject; A still remembers the old key, the script finds none, and A's event gets a fresh key.
    expect(await trailB.shredSubject(subject)).toBe(true);
    expect((await a.open({ ...input('req-open-c'), subject })).created).toBe(true);
    expect(await sealedFor('req-open-c')).not.toBe(await sealedFor('req-open-a'));
    expect(await sealedFor('req-open-c')).toBe((await trailB.read({ subject })).at(-1)!.subject);
    // A redelivery opens nothing and audits nothing; every event is in the chain once.
    expect((await b.open({ ...input('req-open-c'), subject })).created).toBe(false);
    expect((await trailA.read({ count: 100 })).map((e) => e.requestId)).toEqual([
      'req-open-a',
      'req-open-b',
      'req-open-c',
    ]);
    expect((await trailB.verify()).ok).toBe(true);
  });

  it("writes a state's vault sections in its script, and erases the vault with a terminal state, also on a repeat", async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: randomBytes(32), ttlMs: 30_000 });
    const withVault = new RequestStore(redis, { prefix, ttlMs: 60_000, audit, vault });
    const vaultKey = keysFor(prefix).vault('req-vault-1');
    await withVault.open(input('req-vault-1'));
    const sections = vault.sealMany('req-vault-1', { contact: { properties: { firstname: 'Erika' } } });
    expect(await withVault.transition('req-vault-1', 'fetched', { actor: 'test', sections })).toBe(true);
    expect(
      await vault.get('req-vault-1', 'contact', z.object({ properties: z.record(z.string(), z.string()) })),
    ).toEqual({ properties: { firstname: 'Erika' } });
    expect(await redis.pttl(vaultKey)).toBeGreaterThan(20_000);
    // The next state's sections join the entry.
    await expect(
      withVault.transition('req-vault-1', 'drafted', {
        actor: 'test',
        sections: vault.sealMany('req-vault-1', { draft: { body: 'x' } }),
      }),
    ).resolves.toBe(true);
    expect((await redis.hkeys(vaultKey)).sort()).toEqual(['contact', 'draft']);
    // Refused with the state: a move the record has gone past writes nothing.
    await redis.hset(keysFor(prefix).request('req-vault-1'), 'state', 'awaiting_review');
    await expect(
      withVault.transition('req-vault-1', 'drafted', {
        actor: 'test',
        sections: vault.sealMany('req-vault-1', { draft: { body: 'y' } }),
      }),
    ).rejects.toBeInstanceOf(InvalidTransition);
    expect(await vault.get('req-vault-1', 'draft', z.object({ body: z.string() }))).toEqual({ body: 'x' });
    // A record that is gone gets no vault entry back.
    await expect(
      withVault.transition('req-vault-gone', 'fetched', {
        actor: 'test',
        sections: vault.sealMany('req-vault-gone', { contact: {} }),
      }),
    ).rejects.toBeInstanceOf(RequestNotFound);
    expect(await redis.exists(keysFor(prefix).vault('req-vault-gone'))).toBe(0);
    // Sections of another request, or with a terminal state, are a programming error.
    await expect(
      withVault.transition('req-vault-1', 'sent', {
        actor: 'test',
        sections: vault.sealMany('req-vault-2', { draft: {} }),
      }),
    ).rejects.toThrow(/vault sections/);

    // A terminal state erases the entry in its script; a repeat (a retry after a crash) erases again.
    await withVault.open(input('req-vault-3'));
    await vault.put('req-vault-3', 'contact', { properties: {} });
    expect(
      await withVault.transition('req-vault-3', 'failed', { actor: 'test', facts: { reason: 'test' } }),
    ).toBe(true);
    expect(await redis.exists(keysFor(prefix).vault('req-vault-3'))).toBe(0);
    await redis.hset(keysFor(prefix).vault('req-vault-3'), 'contact', 'left by a racing writer');
    expect(await withVault.transition('req-vault-3', 'failed', { actor: 'test' })).toBe(false);
    expect(await redis.exists(keysFor(prefix).vault('req-vault-3'))).toBe(0);
    expect((await audit.read({ requestId: 'req-vault-3' })).map((e) => e.type)).toEqual([
      'request.received',
      'request.failed',
    ]);
  });

  it('records CRM note ids once per state, and never brings back an erased record', async () => {
    await store.recordNote('req-store-1', 'note:failed', 'note-1');
    expect(await store.noteId('req-store-1', 'note:failed')).toBe('note-1');
    // From the record a job read (the note ids are fields of the same hash): no second read.
    const seen = (await store.get('req-store-1'))!;
    expect([
      await store.noteId('req-store-1', 'note:failed', seen),
      await store.noteId('req-store-1', 'note:sent', seen),
    ]).toEqual(['note-1', null]);
    await store.eraseSubject('b'.repeat(32), ['req-store-1']);
    await store.recordNote('req-store-1', 'note:failed', 'note-2');
    await store.note('req-store-1', { messageId: 'm-1' });
    expect(
      await redis.exists(keysFor(prefix).request('req-store-1'), keysFor(prefix).subject('b'.repeat(32))),
    ).toBe(0);
  });

  it('opens the circuit after the threshold of consecutive failures; a success resets the count', async () => {
    const circuit = new LlmCircuit(redis, { prefix, threshold: 3, openMs: 60_000 });
    await circuit.recordFailure('eu');
    await circuit.recordFailure('eu');
    await circuit.recordSuccess('eu');
    await circuit.recordFailure('eu');
    await circuit.recordFailure('eu');
    expect(await circuit.isOpen('eu')).toBe(false);
    await circuit.recordFailure('eu');
    expect([await circuit.isOpen('eu'), await circuit.isOpen('local')]).toEqual([true, false]);
    expect(await redis.pttl(keysFor(prefix).circuit('eu').open)).toBeGreaterThan(50_000);
  });
});
