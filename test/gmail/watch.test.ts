import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GmailMail } from '../../connectors/gmail/connector.ts';
import { startGmailSimulator, type GmailSimulator } from '../../sandbox/gmail/simulator.ts';
import { GmailWatch } from '../../connectors/gmail/watch.ts';
import { loadServiceAccountKey } from '../../src/gmail-key.ts';
import type { OutgoingMail } from '../../src/ports.ts';
import { deletePrefix, uniquePrefix, testRedis } from '../support/env.ts';

const OWNER = 'sophie.lindqvist@example.com';
const LABEL = 'KI-Entwurf – bitte prüfen';
const mail = (requestId: string): OutgoingMail => ({
  mailbox: OWNER,
  to: [{ address: 'lea.neukunde@example.com' }],
  subject: 'Ihre Anfrage',
  body: 'Guten Tag,\nwir melden uns.',
  contentType: 'text',
  categories: [LABEL],
  requestId,
});

describe('Gmail watch: history paging, resync and mailbox references', () => {
  let sim: GmailSimulator;
  let redis: RedisClient;
  let watch: GmailWatch;
  let gmail: GmailMail;
  const prefix = uniquePrefix('gmailwatch');
  const refKey = Buffer.alloc(32, 7);

  beforeAll(async () => {
    // Two history records per page: every read below spans several pages.
    sim = await startGmailSimulator({ maxPageSize: 2 });
    sim.addMailbox(OWNER);
    redis = await testRedis();
    gmail = new GmailMail({
      key: loadServiceAccountKey(sim.serviceAccountKey),
      rootUrl: sim.rootUrl,
      tokenUrl: sim.tokenUrl,
      defaultLabel: LABEL,
    });
    watch = new GmailWatch(redis, gmail, {
      prefix,
      topicName: sim.topicName,
      refKey,
      linkTtlMs: 60_000,
      labels: [LABEL],
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
    await sim.close();
  });

  it('reads every page from the stored historyId and stores the largest id read', async () => {
    const ref = await gmail.createDraft(mail('req-watch-0001'));
    await watch.link('req-watch-0001', ref);
    await watch.ensure(OWNER);
    const mailboxKey = `${prefix}:gmailwatch:mailbox:${watch.ref(OWNER)}`;
    expect(await redis.hget(mailboxKey, 'address')).toBe(OWNER);
    // Unrelated drafts, then the reviewer sends ours: the SENT message is on a late page.
    for (let i = 2; i < 6; i++) await gmail.createDraft(mail(`req-watch-000${i}`));
    await sim.sendDraftAsUser(OWNER, ref.id);
    const changes = await watch.changes(watch.ref(OWNER), String(sim.mailbox(OWNER).historyId));
    expect(changes.filter((c) => c.kind === 'sent').map((c) => c.requestId)).toEqual(['req-watch-0001']);
    expect(sim.requests.filter((r) => r.path.endsWith('/history')).length).toBeGreaterThan(3);
    expect(await redis.hget(mailboxKey, 'historyId')).toBe(String(sim.mailbox(OWNER).historyId));
    // The same push again: nothing new, no history read.
    const reads = sim.requests.length;
    expect(await watch.changes(watch.ref(OWNER), String(sim.mailbox(OWNER).historyId))).toEqual([]);
    expect(sim.requests.length).toBe(reads);
  });

  it('after a 404 compares the pending drafts with the labelled messages: sent, discarded, still waiting', async () => {
    const a = await gmail.createDraft(mail('req-watch-0101'));
    const b = await gmail.createDraft(mail('req-watch-0102'));
    const c = await gmail.createDraft(mail('req-watch-0103'));
    for (const [id, r] of [
      ['req-watch-0101', a],
      ['req-watch-0102', b],
      ['req-watch-0103', c],
    ] as const)
      await watch.link(id, r);
    sim.expireHistory(OWNER);
    await sim.sendDraftAsUser(OWNER, a.id);
    await sim.deleteDraftAsUser(OWNER, b.id);
    const changes = await watch.changes(watch.ref(OWNER), String(sim.mailbox(OWNER).historyId));
    expect(changes.map((ch) => [ch.requestId, ch.kind]).sort()).toEqual([
      ['req-watch-0101', 'sent'],
      ['req-watch-0102', 'deleted'],
    ]);
    expect(await redis.hkeys(`${prefix}:gmailwatch:pending:${watch.ref(OWNER)}`)).toContain('req-watch-0103');
  });

  it('names mailboxes by a keyed hash, never the address, case-insensitively', () => {
    expect(watch.ref(OWNER)).toMatch(/^[a-f0-9]{32}$/);
    expect(watch.ref(OWNER.toUpperCase())).toBe(watch.ref(OWNER));
    expect(
      new GmailWatch(redis, gmail, {
        prefix,
        topicName: sim.topicName,
        refKey: Buffer.alloc(32, 8),
        linkTtlMs: 1,
        labels: [],
      }).ref(OWNER),
    ).not.toBe(watch.ref(OWNER));
  });
});
