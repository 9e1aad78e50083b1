import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EwsMail } from '../../connectors/ews/connector.ts';
import { EwsWatch } from '../../connectors/ews/watch.ts';
import { startEwsSimulator, type EwsSimulator } from '../../sandbox/ews/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/index.ts';
import { generateSimulatorTls } from '../../sandbox/tls.ts';
import type { MailboxChange, OutgoingMail } from '../../src/ports.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

const MAX = 'max.vertrieb@example.com';
const SOPHIE = 'sophie.lindqvist@example.com';
const mail = (mailbox: string, requestId: string): OutgoingMail => ({
  mailbox,
  to: [{ address: 'erika.musterfrau@example.com' }],
  subject: 'Termin',
  body: 'Guten Tag',
  contentType: 'text',
  categories: ['KI-Entwurf – bitte prüfen'],
  requestId,
});

describe('EWS watch: pull subscriptions, watermark in Redis, one mailbox never holds up the others', () => {
  let sim: EwsSimulator;
  let ews: EwsMail;
  let redis: RedisClient;
  const prefix = uniquePrefix('ewswatch');
  const watchFor = () => new EwsWatch(redis, ews, { prefix, linkTtlMs: 60_000 });
  const collect = async (watch: EwsWatch) => {
    const seen: MailboxChange[] = [];
    await watch.pollAll(async (c) => void seen.push(c));
    return seen;
  };

  beforeAll(async () => {
    const tls = await generateSimulatorTls();
    trustSimulatorCa(tls.caPem);
    sim = await startEwsSimulator({ tls });
    sim.addMailbox(MAX);
    sim.addMailbox(SOPHIE);
    ews = new EwsMail({ url: sim.url, auth: { kind: 'ntlm', ...sim.account } });
    redis = await testRedis();
  });
  afterAll(async () => {
    ews.close();
    await sim.close();
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('reports a send once; a restarted watcher goes on from the stored watermark without replaying it', async () => {
    const watch = watchFor();
    const ref = await ews.createDraft(mail(MAX, 'req-w-1'));
    await watch.link('req-w-1', { ...ref, mailbox: MAX });
    await watch.ensure(MAX);
    const before = await redis.hget(`${prefix}:ewswatch:subscription:${MAX}`, 'watermark');
    sim.sendDraftAsUser(MAX, ref.id);
    expect(await collect(watch)).toEqual([
      expect.objectContaining({ requestId: 'req-w-1', kind: 'sent', body: 'Guten Tag' }),
    ]);
    expect(await redis.hget(`${prefix}:ewswatch:subscription:${MAX}`, 'watermark')).not.toBe(before);
    expect(await collect(watchFor())).toEqual([]);
    expect(await redis.hget(`${prefix}:ewswatch:pending:${MAX}`, 'req-w-1')).toBeNull();
  });

  it('keeps the watermark when applying a change fails, so the next poll delivers it again', async () => {
    const watch = watchFor();
    const ref = await ews.createDraft(mail(MAX, 'req-w-2'));
    await watch.link('req-w-2', { ...ref, mailbox: MAX });
    sim.deleteDraftAsUser(MAX, ref.id);
    await expect(watch.pollAll(async () => Promise.reject(new Error('redis down')))).rejects.toThrow(
      'redis down',
    );
    expect(await collect(watch)).toEqual([
      expect.objectContaining({ requestId: 'req-w-2', kind: 'deleted', mailbox: MAX }),
    ]);
  });

  it('forgets a mailbox Exchange refuses (out of the impersonation scope) and still reads the others', async () => {
    const watch = watchFor();
    const ref = await ews.createDraft(mail(SOPHIE, 'req-w-3'));
    await watch.link('req-w-3', { ...ref, mailbox: SOPHIE });
    await watch.ensure(SOPHIE);
    sim.sendDraftAsUser(SOPHIE, ref.id);
    sim.exchange.mailboxes.delete(MAX); // Max left the scope: impersonating him is denied from now on
    expect(await collect(watch)).toEqual([expect.objectContaining({ requestId: 'req-w-3', kind: 'sent' })]);
    expect(await redis.smembers(`${prefix}:ewswatch:mailboxes`)).toEqual([SOPHIE]);
  });

  it('takes a new Inbox baseline when Exchange refuses the stored sync state (ErrorInvalidSyncStateData)', async () => {
    const watch = watchFor();
    const ref = await ews.createDraft(mail(SOPHIE, 'req-w-4'));
    await watch.link('req-w-4', { ...ref, mailbox: SOPHIE });
    await redis.set(`${prefix}:ewswatch:sync:${SOPHIE}:inbox`, Buffer.from('drafts|0|0').toString('base64'));
    sim.expireSubscriptions();
    sim.sendDraftAsUser(SOPHIE, ref.id);
    expect(await collect(watch)).toEqual([expect.objectContaining({ requestId: 'req-w-4', kind: 'sent' })]);
    const state = await redis.get(`${prefix}:ewswatch:sync:${SOPHIE}:inbox`);
    expect(Buffer.from(state!, 'base64').toString()).toMatch(/^inbox\|/);
  });
});
