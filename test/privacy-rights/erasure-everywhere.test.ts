import { scanKeys, type RedisClient as Redis } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CONTACTS } from '../../sandbox/index.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Every key under the prefix with its type and everything it holds, as text. */
async function dumpPrefix(redis: Redis, prefix: string): Promise<{ key: string; text: string }[]> {
  const out: { key: string; text: string }[] = [];
  for (const key of await scanKeys(redis, `${prefix}:*`)) {
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'list'
            ? await redis.lrange(key, 0, -1)
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'zset'
                ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                : type === 'stream'
                  ? await redis.xrange(key, '-', '+')
                  : null;
    out.push({ key, text: JSON.stringify(value) });
  }
  return out;
}

describe('erasure reaches every store (HubSpot contact.privacyDeletion webhook)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('leaves no value of the contact under the prefix; the audit keeps only its keyed subject reference', async () => {
    const contact = SANDBOX_CONTACTS.find((c) => c.id === '1001')!;
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    // Another person's request stays untouched.
    const other = await h.deliverWebhook('1002');
    await h.waitForState(other.requestId, ['awaiting_review']);
    await h.waitForCrmNote(other.requestId);

    const prefix = h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    const subject = h.ctx.audit.subjectRef('hubspot', 'contact', '1001');
    const before = await dumpPrefix(h.ctx.redis, prefix);
    const linkedBefore = await h.ctx.audit.read({ subject });
    expect(linkedBefore.map((e) => e.type)).toEqual(
      expect.arrayContaining(['request.received', 'request.awaiting_review']),
    );
    const audit = (k: string) => k === `${prefix}:audit` || k.startsWith(`${prefix}:audit:`);
    // Before: job data, request record, subject index, mail links, event streams name the request.
    expect(
      before.filter((k) => !audit(k.key) && (k.key.includes(requestId) || k.text.includes(requestId))).length,
    ).toBeGreaterThan(3);
    expect(before.some((k) => !audit(k.key) && (k.key.includes(subject) || k.text.includes(subject)))).toBe(
      true,
    );

    const { status } = await h.deliverWebhook('1001', { subscriptionType: 'contact.privacyDeletion' });
    expect(status).toBe(204);
    const erased = async () => (await h.ctx.audit.read()).find((e) => e.type === 'dsr.erasure');
    for (let i = 0; i < 200 && !(await erased()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await erased()).toMatchObject({ actor: 'crm.privacyDeletion', outcome: 'erased' });

    const personal = ['firstname', 'lastname', 'email', 'phone', 'callback_notes']
      .map((k) => contact.properties[k]!)
      .filter(Boolean);
    const after = await dumpPrefix(h.ctx.redis, prefix);
    for (const { key, text } of after) {
      for (const v of personal)
        expect(text.includes(v) || key.includes(v), `${key} holds a personal value`).toBe(false);
      if (audit(key)) continue;
      // Outside the audit trail nothing links to the request or the person any more.
      expect(
        key.includes(requestId) || text.includes(requestId),
        `${key} still names the erased request`,
      ).toBe(false);
      expect(
        key.includes(subject) || text.includes(subject),
        `${key} still holds the subject reference`,
      ).toBe(false);
    }
    // The other person's request is still there.
    expect(after.some((k) => k.key === `${prefix}:request:${other.requestId}`)).toBe(true);
    expect(await h.ctx.audit.verify()).toMatchObject({ ok: true });

    // Crypto-shredding: the events are still there, but nothing links them to the person any more,
    // not even the audit key with the CRM id (the subject's own key is gone).
    expect(await h.ctx.audit.read({ subject })).toEqual([]);
    const all = await h.ctx.audit.read();
    for (const e of linkedBefore) expect(all.find((x) => x.id === e.id)?.subject).toBe(e.subject);
    expect(all.some((e) => e.subject === subject)).toBe(false);
    expect(await h.ctx.redis.hexists(`${prefix}:audit:subject-keys`, subject)).toBe(0);
  });
});
