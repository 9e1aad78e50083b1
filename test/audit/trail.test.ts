import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/trail.ts';
import { keysFor } from '../../src/keys.ts';
import { deletePrefix, REDIS_URL, uniquePrefix, testRedis } from '../support/env.ts';

describe('audit trail', () => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  const trail = (prefix = uniquePrefix('audit'), key = randomBytes(32)) => {
    prefixes.push(prefix);
    return new AuditTrail(redis, { prefix, key });
  };
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(p);
    redis.disconnect();
  });

  it('chains events and verifies the chain', async () => {
    const audit = trail();
    for (let i = 0; i < 20; i++)
      await audit.append({
        type: 'test.step',
        actor: 'test',
        outcome: 'ok',
        requestId: `req-${i}`,
        details: { i },
      });
    expect(await audit.verify()).toEqual({ ok: true, checked: 20 });
    const events = await audit.read();
    expect(events[1]!.prev).toBe(events[0]!.hash);
  });

  it('keeps one valid chain under concurrent writers', async () => {
    const prefix = uniquePrefix('audit');
    const key = randomBytes(32);
    const writers = [trail(prefix, key), trail(prefix, key), trail(prefix, key)];
    await Promise.all(
      writers.flatMap((w, n) =>
        Array.from({ length: 30 }, (_, i) =>
          w.append({ type: 'test.concurrent', actor: `w${n}`, outcome: 'ok', details: { i } }),
        ),
      ),
    );
    expect(await writers[0]!.verify()).toEqual({ ok: true, checked: 90 });
  });

  it(
    'keeps one valid chain with 4 OS processes appending 2,000 events each',
    { timeout: 120_000 },
    async () => {
      const prefix = uniquePrefix('audit');
      const key = randomBytes(32);
      const worker = new URL('./append-worker.ts', import.meta.url).pathname;
      await Promise.all(
        Array.from({ length: 4 }, () =>
          promisify(execFile)(process.execPath, [worker, prefix, key.toString('base64'), '2000', REDIS_URL]),
        ),
      );
      expect(await trail(prefix, key).verify()).toEqual({ ok: true, checked: 8000 });
    },
  );

  it('verifies clean while other writers keep appending (their unsealed events wait for the next verify)', async () => {
    const prefix = uniquePrefix('audit');
    const key = randomBytes(32);
    const writer = trail(prefix, key);
    const appending = Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        writer.append({ type: 'test.busy', actor: 'w', outcome: 'ok', details: { i } }),
      ),
    );
    const reader = trail(prefix, key);
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await reader.verify());
    await appending;
    for (const v of verdicts) expect(v.ok).toBe(true);
    expect(await reader.verify()).toEqual({ ok: true, checked: 300 });
  });

  it('names the first broken link when an event is removed or forged', async () => {
    const prefix = uniquePrefix('audit');
    const audit = trail(prefix);
    for (let i = 0; i < 5; i++)
      await audit.append({ type: 'test.step', actor: 'test', outcome: 'ok', details: { i } });
    const events = await audit.read();
    await redis.xdel(keysFor(prefix).audit.stream, events[2]!.id);
    const removed = await audit.verify();
    expect(removed).toMatchObject({ ok: false, brokenAt: events[3]!.id, checked: 2 });

    // A forged event appended with a plausible prev but without the key cannot carry a valid hash.
    const prefix2 = uniquePrefix('audit');
    const audit2 = trail(prefix2);
    await audit2.append({ type: 'test.step', actor: 'test', outcome: 'ok' });
    const [first] = await audit2.read();
    const forged = JSON.stringify({
      ts: new Date().toISOString(),
      type: 'test.step',
      requestId: null,
      subject: null,
      actor: 'mallory',
      outcome: 'ok',
      details: {},
    });
    const forgedId = await redis.xadd(`${prefix2}:audit`, '*', 'e', forged, 'mac', 'f'.repeat(64));
    await redis.hset(`${prefix2}:audit:links`, forgedId!, 'f'.repeat(64));
    await redis.set(`${prefix2}:audit:head`, `${forgedId} ${'f'.repeat(64)}`);
    expect(first!.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(await audit2.verify()).toMatchObject({
      ok: false,
      brokenAt: forgedId,
      reason: expect.stringContaining('edited'),
    });
  });

  it('detects removal of the newest event', async () => {
    const prefix = uniquePrefix('audit');
    const audit = trail(prefix);
    for (let i = 0; i < 3; i++) await audit.append({ type: 'test.step', actor: 'test', outcome: 'ok' });
    const events = await audit.read();
    await redis.xdel(keysFor(prefix).audit.stream, events[2]!.id);
    expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 'head' });
  });

  it('uses an HMAC subject reference, never the id itself, and removes personal values from details', async () => {
    const audit = trail();
    const subject = audit.subjectRef('hubspot', 'contact', 4711);
    expect(subject).toMatch(/^[a-f0-9]{32}$/);
    expect(subject).not.toContain('4711');
    expect(audit.subjectRef('hubspot', 'contact', 4711)).toBe(subject);
    const event = await audit.append({
      type: 'test.pii',
      actor: 'test',
      outcome: 'ok',
      subject,
      details: {
        code: 'E42',
        mail: 'max.mustermann@example.com',
        phone: '+49 30 1234567',
        note: 'Herr Mustermann hat angerufen und bittet um Rückruf',
      },
    });
    expect(event.details).toEqual({
      code: 'E42',
      mail: '[removed: personal data]',
      phone: '[removed: personal data]',
      note: '[removed: personal data]',
    });
    const raw = JSON.stringify(await redis.xrange(`${prefixes.at(-1)}:audit`, '-', '+'));
    expect(raw).not.toContain('mustermann');
    expect(raw).not.toContain('1234567');
  });

  it('trims by retention and stays verifiable from the new start', async () => {
    const prefix = uniquePrefix('audit');
    const audit = trail(prefix);
    for (let i = 0; i < 4; i++) await audit.append({ type: 'test.old', actor: 'test', outcome: 'ok' });
    await new Promise((r) => setTimeout(r, 20));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) await audit.append({ type: 'test.new', actor: 'test', outcome: 'ok' });
    const removed = await audit.trim(Date.now() - cut, Date.now());
    expect(removed).toBe(4);
    expect((await audit.read()).map((e) => e.type)).toEqual(['test.new', 'test.new', 'test.new']);
    expect(await audit.verify()).toEqual({ ok: true, checked: 3 });
  });
});
