import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail, lastVerification } from '../../src/audit/trail.ts';
import { keysFor } from '../../src/keys.ts';
import { ReviewLedger, reviewLedgerFollower } from '../../src/ops/review-ledger.ts';
import { deletePrefix, uniquePrefix, testRedis } from '../support/env.ts';

describe('audit history: indexes, checkpoints, the ledger folded as events are sealed', () => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  const trail = (prefix = uniquePrefix('history'), key = randomBytes(32), follow = false) => {
    prefixes.push(prefix);
    return new AuditTrail(redis, {
      prefix,
      key,
      retentionMs: 86_400_000,
      ...(follow ? { follower: reviewLedgerFollower(prefix) } : {}),
    });
  };
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(p);
    redis.disconnect();
  });

  it('indexes events per subject and per request; a filtered read touches only those, with their chain links', async () => {
    const prefix = uniquePrefix('history');
    const audit = trail(prefix);
    const keys = keysFor(prefix).audit;
    const alice = audit.subjectRef('hubspot', 'contact', 1);
    const bob = audit.subjectRef('hubspot', 'contact', 2);
    for (let i = 0; i < 30; i++) {
      const subject = i % 3 === 0 ? alice : bob;
      await audit.append({
        type: 'test.step',
        actor: 'test',
        outcome: 'ok',
        subject,
        requestId: `req-${i % 5}`,
      });
    }
    const all = await audit.read();
    const byId = new Map(all.map((e, i) => [e.id, { e, before: all[i - 1] }]));
    const forAlice = await audit.read({ subject: alice });
    expect(forAlice).toHaveLength(10);
    for (const e of forAlice) {
      // Same event, same links as in the whole chain.
      expect(e).toEqual(byId.get(e.id)!.e);
      expect(e.prev).toBe(byId.get(e.id)!.before?.hash ?? '0'.repeat(64));
    }
    const sealedAlice = forAlice[0]!.subject!;
    expect(await redis.zcard(keys.subjectIndex(sealedAlice))).toBe(10);
    expect(await redis.pttl(keys.subjectIndex(sealedAlice))).toBeGreaterThan(86_400_000);
    expect((await audit.read({ requestId: 'req-2' })).map((e) => e.id)).toEqual(
      all.filter((e) => e.requestId === 'req-2').map((e) => e.id),
    );
    expect(await audit.read({ subject: alice, requestId: 'req-0' })).toEqual(
      forAlice.filter((e) => e.requestId === 'req-0'),
    );
    expect(await audit.read({ subject: alice, count: 2 })).toEqual(forAlice.slice(-2));

    // Erasure: the index goes with the subject's key; Bob's stays.
    await audit.shredSubject(alice);
    expect(await redis.exists(keys.subjectIndex(sealedAlice))).toBe(0);
    expect(await audit.read({ subject: alice })).toEqual([]);
    expect(await audit.read({ subject: bob })).toHaveLength(20);
  });

  it('trims index entries with their events', async () => {
    const prefix = uniquePrefix('history');
    const audit = trail(prefix);
    const keys = keysFor(prefix).audit;
    const subject = audit.subjectRef('hubspot', 'contact', 7);
    for (let i = 0; i < 4; i++)
      await audit.append({ type: 'test.old', actor: 'test', outcome: 'ok', subject, requestId: 'req-old' });
    await new Promise((r) => setTimeout(r, 20));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await audit.append({ type: 'test.new', actor: 'test', outcome: 'ok', subject, requestId: 'req-new' });
    const sealed = (await audit.read({ subject }))[0]!.subject!;
    expect(await audit.trim(Date.now() - cut, Date.now())).toBe(4);
    expect(await redis.exists(keys.requestIndex('req-old'))).toBe(0);
    expect(await redis.zcard(keys.subjectIndex(sealed))).toBe(1);
    expect((await audit.read({ subject })).map((e) => e.type)).toEqual(['test.new']);
    expect(await audit.verify()).toEqual({ ok: true, checked: 1 });
    expect(await audit.verify({ from: 'checkpoint' })).toEqual({ ok: true, checked: 0 });
  });

  it('verifies from the signed checkpoint by default and the whole chain on request; records both', async () => {
    const prefix = uniquePrefix('history');
    const audit = trail(prefix);
    const keys = keysFor(prefix);
    for (let i = 0; i < 50; i++)
      await audit.append({ type: 'test.step', actor: 'test', outcome: 'ok', details: { i } });
    // No checkpoint yet: the incremental run walks everything and leaves one.
    expect(await audit.verify({ from: 'checkpoint' })).toEqual({ ok: true, checked: 50 });
    for (let i = 0; i < 7; i++)
      await audit.append({ type: 'test.more', actor: 'test', outcome: 'ok', details: { i } });
    expect(await audit.verify({ from: 'checkpoint' })).toEqual({ ok: true, checked: 7 });
    expect(JSON.parse((await redis.get(keys.audit.checkpoint))!)).toMatchObject({ count: 57 });
    expect(await lastVerification(redis, keys, 'incremental')).toMatchObject({
      kind: 'incremental',
      ok: true,
      events: 7,
    });

    // An edit before the checkpoint is for the full run to find.
    const events = await audit.read();
    await redis.hset(keys.audit.links, events[3]!.id, 'f'.repeat(64));
    expect(await audit.verify({ from: 'checkpoint' })).toEqual({ ok: true, checked: 0 });
    expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: events[3]!.id, checked: 3 });
    expect(await lastVerification(redis, keys, 'full')).toMatchObject({
      kind: 'full',
      ok: false,
      brokenAt: events[3]!.id,
    });
    expect(await lastVerification(redis, keys)).toMatchObject({ kind: 'full' });

    // Removing events after the checkpoint, or moving the checkpoint without the key, shows.
    const prefix2 = uniquePrefix('history');
    const audit2 = trail(prefix2);
    const keys2 = keysFor(prefix2).audit;
    for (let i = 0; i < 5; i++) await audit2.append({ type: 'test.step', actor: 'test', outcome: 'ok' });
    expect(await audit2.verify()).toEqual({ ok: true, checked: 5 });
    for (let i = 0; i < 3; i++) await audit2.append({ type: 'test.step', actor: 'test', outcome: 'ok' });
    const later = await audit2.read();
    await redis.xdel(keys2.stream, later[6]!.id);
    expect(await audit2.verify({ from: 'checkpoint' })).toMatchObject({
      ok: false,
      brokenAt: later[7]!.id,
      checked: 1,
    });
    const cp = JSON.parse((await redis.get(keys2.checkpoint))!) as { id: string };
    await redis.set(keys2.checkpoint, JSON.stringify({ ...cp, id: later[7]!.id }));
    expect(await audit2.verify({ from: 'checkpoint' })).toMatchObject({ ok: false, brokenAt: 'checkpoint' });
  });

  it('streams a long chain in batches', async () => {
    const prefix = uniquePrefix('history');
    const audit = trail(prefix);
    await Promise.all(
      Array.from({ length: 4500 }, (_, i) =>
        audit.append({ type: 'test.bulk', actor: 'test', outcome: 'ok', details: { i } }),
      ),
    );
    expect(await audit.verify()).toEqual({ ok: true, checked: 4500 });
    expect(await audit.read()).toHaveLength(4500);
  });

  it('folds the review counters in the seal script, so a fresh ledger reads them without catching up', async () => {
    const prefix = uniquePrefix('history');
    const audit = trail(prefix, randomBytes(32), true);
    for (let i = 0; i < 5; i++)
      await audit.append({
        type: 'request.awaiting_review',
        actor: 'pipeline',
        outcome: 'awaiting_review',
        requestId: `req-${i}`,
      });
    await audit.append({
      type: 'request.sent',
      actor: 'pipeline',
      outcome: 'sent',
      requestId: 'req-0',
      details: { from: 'awaiting_review' },
    });
    await audit.append({
      type: 'request.blocked_sensitive',
      actor: 'pipeline',
      outcome: 'blocked_sensitive',
      requestId: 'req-9',
      details: { categories: 'health' },
    });
    const keys = keysFor(prefix);
    expect(await redis.get(keys.ops.cursor)).toBe(await audit.sealedHeadId());
    const ledger = new ReviewLedger(redis, audit, prefix);
    expect(await ledger.catchUp()).toBe(0);
    const snap = await ledger.snapshot();
    expect(snap.awaiting.map((a) => a.requestId)).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
    expect(snap.days.at(-1)!.counts).toMatchObject({ awaiting: 5, approved: 1, blocked: 1 });
    expect(snap.blockedByCategory).toEqual({ health: 1 });
    expect(snap.verifications).toEqual({ incremental: null, full: null });
    await audit.verify({ from: 'checkpoint' });
    await audit.verify();
    expect((await ledger.snapshot()).verifications).toMatchObject({
      incremental: { kind: 'incremental', ok: true, events: 7 },
      full: { kind: 'full', ok: true, events: 7 },
    });

    // A ledger behind the head (e.g. right after an upgrade) catches up by hand, once.
    await redis.set(keys.ops.cursor, '0-0');
    await redis.del(keys.ops.day(snap.days.at(-1)!.day), keys.ops.awaiting, keys.ops.blocked);
    expect(await ledger.catchUp()).toBe(7);
    expect(await ledger.catchUp()).toBe(0);
    expect((await ledger.snapshot()).days.at(-1)!.counts).toMatchObject({
      awaiting: 5,
      approved: 1,
      blocked: 1,
    });
  });
});
