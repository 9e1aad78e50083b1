import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/trail.ts';
import { RequestStore } from '../../src/pipeline/request-state.ts';
import { deletePrefix, uniquePrefix, testRedis } from '../support/env.ts';

/**
 * Found by the chaos run: a worker SIGKILLed between a request's state change and its audit append
 * left the state changed and no audit event, and the retried job (a no-op repeat) never wrote it.
 * Now the state change and its event are one Redis script.
 */
describe('a state change and its audit event are one write', () => {
  const prefix = uniquePrefix('transition');
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('a process that dies right after the state change still leaves exactly one event; the retry adds none', async () => {
    const key = randomBytes(32);
    const audit = new AuditTrail(redis, { prefix, key });
    const store = new RequestStore(redis, { prefix, ttlMs: 60_000, audit });
    const subject = audit.subjectRef('hubspot', 'contact', '4711');
    await store.open({
      requestId: 'hs-1-2-4711',
      flow: 'callback',
      source: 'hubspot.app',
      account: '1',
      objectType: 'contact',
      contactId: '4711',
      subject,
    });

    // The process "dies" after the script ran: linking the event (the step after the write) never happens.
    const dying = new AuditTrail(redis, { prefix, key });
    dying.linked = () => Promise.reject(new Error('SIGKILL'));
    const crashed = new RequestStore(redis, { prefix, ttlMs: 60_000, audit: dying });
    await expect(crashed.transition('hs-1-2-4711', 'fetched', { actor: 'intake' })).rejects.toThrow(
      'SIGKILL',
    );
    expect(await redis.hget(`${prefix}:request:hs-1-2-4711`, 'state')).toBe('fetched');

    // The retried job: a no-op repeat, no second event.
    expect(await store.transition('hs-1-2-4711', 'fetched', { actor: 'intake' })).toBe(false);
    expect(await store.transition('hs-1-2-4711', 'blocked_sensitive', { actor: 'intake' })).toBe(true);
    const events = await audit.read({ requestId: 'hs-1-2-4711' });
    expect(events.map((e) => e.type)).toEqual([
      'request.received',
      'request.fetched',
      'request.blocked_sensitive',
    ]);
    expect(events[1]).toMatchObject({ outcome: 'fetched', details: { from: 'received', flow: 'callback' } });
    // The orphaned event is linked by the next writer; the chain verifies.
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 3 });
    expect((await audit.read({ subject })).length).toBe(3);
  });

  it('refuses a transition that is not allowed from the current state, writing nothing', async () => {
    const audit = new AuditTrail(redis, { prefix: `${prefix}-b`, key: randomBytes(32) });
    const store = new RequestStore(redis, { prefix: `${prefix}-b`, ttlMs: 60_000, audit });
    await store.open({
      requestId: 'hs-1-3-4712',
      flow: 'callback',
      source: 'hubspot.app',
      account: '1',
      objectType: 'contact',
      contactId: '4712',
      subject: audit.subjectRef('hubspot', 'contact', '4712'),
    });
    await expect(store.transition('hs-1-3-4712', 'awaiting_review', { actor: 'deliver' })).rejects.toThrow(
      /cannot move from received/,
    );
    expect((await audit.read()).map((e) => e.type)).toEqual(['request.received']);
    await deletePrefix(`${prefix}-b`);
  });
});
