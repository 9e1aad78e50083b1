import { keyspaceNodes, type RedisClient } from '../../src/redis.ts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keysFor } from '../../src/keys.ts';
import { PseudonymVault, VaultError } from '../../src/privacy/vault.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

describe('pseudonym vault (AES-256-GCM in Redis)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('vault');
  const key = randomBytes(32);
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const Contact = z.record(z.string(), z.string());
  const secret = {
    firstname: 'Erika',
    lastname: 'Musterfrau',
    email: 'erika.musterfrau@example.com',
    phone: '+49 30 901820',
  };

  it('round-trips and stores no plaintext anywhere under the prefix', async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });
    await vault.put('req-1', 'contact', secret);
    await vault.put('req-1', 'mapping', { '[[PERSON_1]]': 'Erika Musterfrau' });
    expect(await vault.get('req-1', 'contact', Contact)).toEqual(secret);
    const dump: Buffer[] = [];
    // Every master of a cluster (SCAN is per node).
    for (const node of keyspaceNodes(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 100);
        cursor = next;
        for (const k of keys) dump.push(...(await node.hgetallBuffer(k).then((h) => Object.values(h))));
      } while (cursor !== '0');
    }
    const raw = Buffer.concat(dump).toString('latin1');
    expect(dump.length).toBe(2);
    for (const v of ['Erika', 'Musterfrau', 'erika.musterfrau', '901820']) expect(raw).not.toContain(v);
  });

  it('never uses an IV twice (across many draws from the random pool)', async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });
    const sections = Object.fromEntries(Array.from({ length: 700 }, (_, i) => [`s${i}`, secret]));
    await vault.putMany('req-iv', sections);
    const ivs = Object.values(await redis.hgetall(keysFor(prefix).vault('req-iv'))).map(
      (envelope) => envelope.split('.')[2],
    );
    expect(ivs).toHaveLength(700);
    expect(new Set(ivs).size).toBe(700);
  });

  it('sets the TTL from its retention class and is gone after it', async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 300 });
    await vault.put('req-ttl', 'contact', secret);
    const ttl = await redis.pttl(keysFor(prefix).vault('req-ttl'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    for (let i = 0; i < 40 && (await redis.exists(keysFor(prefix).vault('req-ttl'))); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await vault.get('req-ttl', 'contact', Contact)).toBeNull();
  });

  it('detects tampering and refuses an envelope moved to another request', async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });
    await vault.put('req-a', 'contact', secret);
    const envelope = (await redis.hget(keysFor(prefix).vault('req-a'), 'contact'))!;
    const parts = envelope.split('.');
    const data = Buffer.from(parts[4]!, 'base64url');
    data[0] = data[0]! ^ 1;
    await redis.hset(
      keysFor(prefix).vault('req-a'),
      'contact',
      [...parts.slice(0, 4), data.toString('base64url')].join('.'),
    );
    await expect(vault.get('req-a', 'contact', Contact)).rejects.toBeInstanceOf(VaultError);
    await vault.put('req-b', 'contact', secret);
    await redis.hset(
      keysFor(prefix).vault('req-c'),
      'contact',
      (await redis.hget(keysFor(prefix).vault('req-b'), 'contact'))!,
    );
    await expect(vault.get('req-c', 'contact', Contact)).rejects.toThrow(/authentication/);
  });

  it('rotates keys: old envelopes still decrypt, new ones use the new key, rotate re-encrypts', async () => {
    const old = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });
    await old.put('req-rot', 'contact', secret);
    const next = new PseudonymVault(redis, {
      prefix,
      currentKey: randomBytes(32),
      previousKeys: [key],
      ttlMs: 60_000,
    });
    expect(await next.get('req-rot', 'contact', Contact)).toEqual(secret);
    expect(await next.rotate('req-rot')).toBe(1);
    expect((await redis.hget(keysFor(prefix).vault('req-rot'), 'contact'))!.split('.')[1]).toBe(next.keyId());
    const withoutOld = new PseudonymVault(redis, { prefix, currentKey: randomBytes(32), ttlMs: 60_000 });
    await expect(withoutOld.get('req-rot', 'contact', Contact)).rejects.toThrow(/not configured/);
  });

  it('writes and reads several sections in one trip, each sealed to its own section; only while the request exists', async () => {
    const requestKey = (id: string) => keysFor(prefix).request(id);
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000, requestKey });
    await redis.hset(requestKey('req-many'), 'state', 'received');
    await vault.putMany('req-many', { contact: secret, owner: { email: 'max.vertrieb@example.com' } });
    expect(await vault.getMany('req-many', { contact: Contact, owner: Contact, draft: Contact })).toEqual({
      contact: secret,
      owner: { email: 'max.vertrieb@example.com' },
      draft: null,
    });
    expect(await redis.pttl(keysFor(prefix).vault('req-many'))).toBeGreaterThan(50_000);
    // A section's envelope moved to another section does not open.
    const owner = await redis.hget(keysFor(prefix).vault('req-many'), 'owner');
    await redis.hset(keysFor(prefix).vault('req-many'), 'contact', owner!);
    await expect(vault.getMany('req-many', { contact: Contact })).rejects.toThrow(VaultError);
    // The record is gone (erased): nothing is written.
    await redis.del(requestKey('req-many'), keysFor(prefix).vault('req-many'));
    await expect(vault.putMany('req-many', { contact: secret })).rejects.toThrow(/no longer exists/);
    expect(await redis.exists(keysFor(prefix).vault('req-many'))).toBe(0);
  });

  it('erases a request', async () => {
    const vault = new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });
    await vault.put('req-e', 'contact', secret);
    expect(await vault.erase('req-e')).toBe(1);
    expect(await vault.get('req-e', 'contact', Contact)).toBeNull();
  });
});
