import type { RedisClient } from '../../src/redis.ts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_SCRIPT, AuditTrail } from '../../src/audit/trail.ts';
import { keysFor } from '../../src/keys.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

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
    for (let i = 0; i < 20; i++) await audit.append({ type: 'test.step', actor: 'test', outcome: 'ok', requestId: `req-${i}`, details: { i } });
    expect(await audit.verify()).toEqual({ ok: true, checked: 20 });
    const events = await audit.read();
    expect(events[1]!.prev).toBe(events[0]!.hash);
  });

  it('keeps one valid chain under concurrent writers', async () => {
    const prefix = uniquePrefix('audit');
    const key = randomBytes(32);
    const writers = [trail(prefix, key), trail(prefix, key), trail(prefix, key)];
    await Promise.all(writers.flatMap((w, n) => Array.from({ length: 30 }, (_, i) => w.append({ type: 'test.concurrent', actor: `w${n}`, outcome: 'ok', details: { i } }))));
    expect(await writers[0]!.verify()).toEqual({ ok: true, checked: 90 });
  });

  it('records an append re-sent after a lost reply (failover) once, even after others appended', async () => {
    const prefix = uniquePrefix('audit');
    const key = randomBytes(32);
    const [first, other] = [trail(prefix, key), trail(prefix, key)];
    const event = await first.append({ type: 'request.awaiting_review', actor: 'test', outcome: 'awaiting_review', requestId: 'req-replay' });
    await other.append({ type: 'test.other', actor: 'test', outcome: 'ok' });
    const k = keysFor(prefix).audit;
    const fields = (await redis.xrange(k.stream, event.id, event.id))[0]![1];
    const body = fields[fields.indexOf('e') + 1]!;
    // The very command the client sent first, as ioredis re-sends it after reconnecting.
    expect(await APPEND_SCRIPT.run(redis, [k.stream, k.head], ['0'.repeat(64), event.prev, body, event.hash])).toEqual([1, event.id]);
    expect(await redis.xlen(k.stream)).toBe(2);
    expect(await first.verify()).toEqual({ ok: true, checked: 2 });
  });

  it('names the first broken link when an event is removed or forged', async () => {
    const prefix = uniquePrefix('audit');
    const audit = trail(prefix);
    for (let i = 0; i < 5; i++) await audit.append({ type: 'test.step', actor: 'test', outcome: 'ok', details: { i } });
    const events = await audit.read();
    await redis.xdel(keysFor(prefix).audit.stream, events[2]!.id);
    const removed = await audit.verify();
    expect(removed).toMatchObject({ ok: false, brokenAt: events[3]!.id, checked: 2 });

    // A forged event appended with a plausible prev but without the key cannot carry a valid hash.
    const prefix2 = uniquePrefix('audit');
    const audit2 = trail(prefix2);
    await audit2.append({ type: 'test.step', actor: 'test', outcome: 'ok' });
    const [first] = await audit2.read();
    const forged = JSON.stringify({ ts: new Date().toISOString(), type: 'test.step', requestId: null, subject: null, actor: 'mallory', outcome: 'ok', details: {} });
    const forgedId = await redis.xadd(`${prefix2}:audit`, '*', 'e', forged, 'prev', first!.hash, 'hash', 'f'.repeat(64));
    await redis.set(`${prefix2}:audit:head`, 'f'.repeat(64));
    expect(await audit2.verify()).toMatchObject({ ok: false, brokenAt: forgedId, reason: expect.stringContaining('edited') });
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
      details: { code: 'E42', mail: 'max.mustermann@example.com', phone: '+49 30 1234567', note: 'Herr Mustermann hat angerufen und bittet um Rückruf' },
    });
    expect(event.details).toEqual({ code: 'E42', mail: '[removed: personal data]', phone: '[removed: personal data]', note: '[removed: personal data]' });
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
