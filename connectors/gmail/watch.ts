import type { Cluster, Redis as SingleRedis } from 'ioredis';

/** A connection or a cluster (the service's store connection may be either). */
type Redis = SingleRedis | Cluster;
import type { gmail_v1 } from '@googleapis/gmail';
import { UpstreamRejected } from '../../src/errors.ts';
import { gmailWatchKey, mailboxRef } from '../../src/mailbox-ref.ts';
import type { MailboxChange, MailboxWatcher } from '../../src/ports.ts';
import type { GmailMail, GmailMessageInfo } from './connector.ts';

/**
 * Gmail's approval loop: `users.watch` per rep mailbox (Pub/Sub pushes, renewed daily, Gmail drops
 * a watch after 7 days), and `history.list` from the stored historyId to turn pushes into
 * MailboxChanges: the draft's message reappearing with SENT = approved, the draft gone = rejected,
 * a new message from someone else in its thread = reply. The stored historyId only grows; a 404
 * for a too-old id triggers a full resync of the AI-draft label. Pushes arrive at least once and may
 * overlap: everything here is idempotent (the core applies a change only from awaiting_review, and
 * replies are keyed by message id).
 *
 * Redis (ids only, besides the address in the mailbox's watch state):
 *   gmailwatch:mailbox:<ref>  hash {address, historyId, expiration}, kept for the link retention
 *   gmailwatch:expiry          zset ref → expiration
 *   gmailwatch:pending:<ref>   hash requestId → draft message id (awaiting review)
 *   gmailwatch:message:<id>, gmailwatch:thread:<id> → requestId
 */
export interface GmailWatchOptions {
  prefix: string;
  topicName: string;
  /** Key for mailbox references (the audit key). */
  refKey: Buffer;
  /** How long message/thread → request links live (the request's retention). */
  linkTtlMs: number;
  /** The labels our drafts carry (policy review and template categories): what a resync lists. */
  labels: readonly string[];
}

const RENEW_AHEAD_MS = 6 * 86_400_000;
const HISTORY_PAGES = 50;

/** Sets the hash's historyId only when the new one is larger (ids are decimal strings of any length). */
const STORE_MAX = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'historyId')
if (not cur) or string.len(ARGV[1]) > string.len(cur) or (string.len(ARGV[1]) == string.len(cur) and ARGV[1] > cur) then
  redis.call('HSET', KEYS[1], 'historyId', ARGV[1])
  return 1
end
return 0`;

const larger = (a: string, b: string) => (BigInt(a) > BigInt(b) ? a : b);
/** A send shows up twice (the draft's message deleted, the sent one added): report it once. */
const dedupe = (changes: MailboxChange[]) => [
  ...new Map(
    changes.map((c) => [
      c.kind === 'reply' ? `${c.requestId}|reply|${c.messageId}` : `${c.requestId}|${c.kind}`,
      c,
    ]),
  ).values(),
];
const addressOf = (from: string | null) =>
  from ? (from.match(/<([^>]+)>/)?.[1] ?? from).trim().toLowerCase() : '';

export class GmailWatch implements MailboxWatcher {
  private readonly redis: Redis;
  private readonly gmail: GmailMail;
  private readonly options: GmailWatchOptions;

  constructor(redis: Redis, gmail: GmailMail, options: GmailWatchOptions) {
    this.redis = redis;
    this.gmail = gmail;
    this.options = options;
  }

  private key(...parts: string[]): string {
    return gmailWatchKey(this.options.prefix, ...parts);
  }

  ref(address: string): string {
    return mailboxRef(this.options.refKey, address);
  }

  async address(ref: string): Promise<string | null> {
    return this.redis.hget(this.key('mailbox', ref), 'address');
  }

  /** Watches the mailbox unless a watch with more than six days left is known; a lock keeps parallel deliveries from doubling it. */
  async ensure(mailbox: string): Promise<void> {
    const ref = this.ref(mailbox);
    const expiration = Number(await this.redis.hget(this.key('mailbox', ref), 'expiration'));
    if (expiration > Date.now() + RENEW_AHEAD_MS) return;
    if ((await this.redis.set(this.key('lock', ref), '1', 'PX', 30_000, 'NX')) !== 'OK') return;
    try {
      await this.watch(mailbox.toLowerCase(), ref);
    } finally {
      await this.redis.del(this.key('lock', ref));
    }
  }

  private async watch(address: string, ref: string): Promise<void> {
    const res = await this.gmail.watch(address, this.options.topicName);
    const key = this.key('mailbox', ref);
    // A renewal keeps the stored historyId: moving it to "now" would skip changes whose push is still
    // queued. Only a mailbox seen for the first time starts at the watch's historyId.
    await this.redis
      .multi()
      .hsetnx(key, 'historyId', res.historyId)
      .hset(key, { address, expiration: String(res.expiration) })
      // The state lives as long as the mailbox's newest draft link (link() extends it), so it outlives
      // a lapsed watch: the next watch resumes from the stored historyId, or resyncs when Gmail no
      // longer has it. A mailbox without drafts for that long is forgotten and its watch lapses.
      .pexpire(key, this.options.linkTtlMs, 'NX')
      .zadd(this.key('expiry'), res.expiration, ref)
      .exec();
  }

  /** Renews every watch (run daily: Google's advice, and well before the 7-day expiry). Returns how many. */
  async renewAll(): Promise<number> {
    const refs = await this.redis.zrange(this.key('expiry'), 0, -1);
    let renewed = 0;
    for (const ref of refs) {
      const address = await this.redis.hget(this.key('mailbox', ref), 'address');
      if (!address) {
        await this.redis.zrem(this.key('expiry'), ref);
        continue;
      }
      try {
        await this.watch(address, ref);
        renewed++;
      } catch (err) {
        // Refused for good (mailbox gone, delegation revoked): forget it; its next draft watches again.
        if (!(err instanceof UpstreamRejected)) throw err;
        await this.redis.multi().del(this.key('mailbox', ref)).zrem(this.key('expiry'), ref).exec();
      }
    }
    return renewed;
  }

  async link(
    requestId: string,
    ref: { id: string; conversationId?: string | undefined; mailbox?: string },
  ): Promise<void> {
    const ttl = this.options.linkTtlMs;
    const m = this.redis.multi().set(this.key('message', ref.id), requestId, 'PX', ttl);
    if (ref.conversationId) m.set(this.key('thread', ref.conversationId), requestId, 'PX', ttl);
    if (ref.mailbox) {
      const box = this.ref(ref.mailbox);
      m.hset(this.key('pending', box), requestId, ref.id)
        .pexpire(this.key('pending', box), ttl)
        .pexpire(this.key('mailbox', box), ttl);
    }
    await m.exec();
  }

  /** What happened in the mailbox since the stored historyId, up to (at least) the pushed one. */
  async changes(ref: string, pushedHistoryId: string): Promise<MailboxChange[]> {
    const state = await this.redis.hgetall(this.key('mailbox', ref));
    if (!state.address || !state.historyId) return [];
    if (BigInt(pushedHistoryId) <= BigInt(state.historyId)) return []; // already read (pushes repeat)
    const address = state.address;
    const out: MailboxChange[] = [];
    let pageToken: string | undefined;
    let latest = state.historyId;
    for (let i = 0; i < HISTORY_PAGES; i++) {
      const page = await this.gmail.history(address, state.historyId, pageToken);
      if (!page) return this.resync(ref, address);
      for (const record of page.history) {
        out.push(...(await this.fromRecord(address, record)));
        if (record.id) latest = larger(latest, record.id);
      }
      pageToken = page.nextPageToken ?? undefined;
      // The mailbox's current id only once every page is read; otherwise the next push goes on from the last record read.
      if (!pageToken) {
        latest = larger(latest, page.historyId);
        break;
      }
    }
    await this.storeHistoryId(ref, latest);
    const unique = dedupe(out);
    await this.settle(ref, unique);
    return unique;
  }

  private async storeHistoryId(ref: string, historyId: string): Promise<void> {
    await this.redis.eval(STORE_MAX, 1, this.key('mailbox', ref), historyId);
  }

  /** Approved or rejected requests no longer wait for review. */
  private async settle(ref: string, changes: MailboxChange[]): Promise<void> {
    const done = changes.filter((c) => c.kind !== 'reply').map((c) => c.requestId);
    if (done.length) await this.redis.hdel(this.key('pending', ref), ...done);
  }

  private async fromRecord(address: string, record: gmail_v1.Schema$History): Promise<MailboxChange[]> {
    const out: MailboxChange[] = [];
    const added = [
      ...(record.messagesAdded ?? []).map((a) => ({ message: a.message, labels: a.message?.labelIds ?? [] })),
      ...(record.labelsAdded ?? []).map((a) => ({ message: a.message, labels: a.labelIds ?? [] })),
    ];
    for (const { message, labels } of added) {
      if (!message?.id) continue;
      const change = await this.fromAdded(
        address,
        { id: message.id, threadId: message.threadId ?? '' },
        labels,
      );
      if (change) out.push(change);
    }
    for (const d of record.messagesDeleted ?? []) {
      if (!d.message?.id) continue;
      const change = await this.fromDeleted(address, d.message.id);
      if (change) out.push(change);
    }
    return out;
  }

  private async linked(message: { id: string; threadId: string }): Promise<string | null> {
    return (
      (await this.redis.get(this.key('message', message.id))) ??
      (message.threadId ? await this.redis.get(this.key('thread', message.threadId)) : null)
    );
  }

  private async fromAdded(
    address: string,
    message: { id: string; threadId: string },
    labels: string[],
  ): Promise<MailboxChange | null> {
    const requestId = await this.linked(message);
    if (!requestId) return null;
    const interesting = labels.includes('SENT') || labels.includes('DRAFT') || labels.includes('INBOX');
    if (!interesting) return null;
    const info = await this.gmail.info(address, message.id);
    if (!info) return null;
    if (info.requestId === requestId) {
      if (info.labelIds.includes('SENT')) return { requestId, kind: 'sent', messageId: info.id };
      // The rep edited the draft: Gmail gave it a new message id. Follow it.
      if (info.labelIds.includes('DRAFT')) await this.relink(address, requestId, info);
      return null;
    }
    // Someone else wrote in the draft's thread: the lead's reply.
    if (
      !info.labelIds.includes('SENT') &&
      !info.labelIds.includes('DRAFT') &&
      addressOf(info.from) !== address
    )
      return { requestId, kind: 'reply', messageId: info.id, mailbox: address };
    return null;
  }

  /** The draft's message is gone: sent (a SENT message with our header exists), edited (a new draft), or discarded. */
  private async fromDeleted(address: string, messageId: string): Promise<MailboxChange | null> {
    const requestId = await this.redis.get(this.key('message', messageId));
    if (!requestId) return null;
    const now = await this.gmail.findInfo(address, requestId);
    if (!now) return { requestId, kind: 'deleted', messageId };
    if (now.labelIds.includes('SENT')) return { requestId, kind: 'sent', messageId: now.id };
    if (now.labelIds.includes('DRAFT')) await this.relink(address, requestId, now);
    return null;
  }

  private async relink(address: string, requestId: string, info: GmailMessageInfo): Promise<void> {
    await this.link(requestId, { id: info.id, conversationId: info.threadId, mailbox: address });
  }

  /** history.list said 404: the stored id is too old. Compare the pending drafts with the labelled messages, then start from now. */
  private async resync(ref: string, address: string): Promise<MailboxChange[]> {
    const current = await this.gmail.currentHistoryId(address);
    const pending = await this.redis.hgetall(this.key('pending', ref));
    const out: MailboxChange[] = [];
    if (Object.keys(pending).length > 0) {
      const byRequest = new Map<string, GmailMessageInfo>();
      for (const info of await this.gmail.labelled(address, this.options.labels)) {
        if (!info.requestId) continue;
        const seen = byRequest.get(info.requestId);
        if (!seen || info.labelIds.includes('SENT')) byRequest.set(info.requestId, info);
      }
      for (const [requestId, messageId] of Object.entries(pending)) {
        const info = byRequest.get(requestId);
        if (!info) out.push({ requestId, kind: 'deleted', messageId });
        else if (info.labelIds.includes('SENT')) out.push({ requestId, kind: 'sent', messageId: info.id });
        else if (info.id !== messageId) await this.relink(address, requestId, info);
      }
    }
    // Unconditionally: the stored id is the one Gmail no longer knows.
    await this.redis.hset(this.key('mailbox', ref), 'historyId', current);
    await this.settle(ref, out);
    return out;
  }
}
