import type { RedisClient } from '../redis.ts';
import { UpstreamRejected } from '../errors.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import { z } from 'zod';
import type { GraphSubscriptionPort, MailboxWatcher } from '../ports.ts';

/**
 * Graph change notifications for the owners' mailboxes: Sent Items (a sent draft is the approval),
 * Drafts (a deleted draft is the rejection) and Inbox (the lead's reply). Subscriptions are made the
 * first time a draft lands in a mailbox and renewed before Graph's ~3-day limit; which subscription
 * belongs to which mailbox and folder, and which message or conversation to which request, is kept in
 * Redis (ids only).
 */
export const WatchedFolder = z.enum(['sentitems', 'drafts', 'inbox']);
export type WatchedFolder = z.infer<typeof WatchedFolder>;

/** What is kept per subscription (a Redis hash; parsed on read). */
const SubscriptionInfo = z.object({ mailbox: z.string().min(1), folder: WatchedFolder });

const FOLDERS: { folder: WatchedFolder; resourceFolder: string; changeType: string }[] = [
  { folder: 'sentitems', resourceFolder: 'SentItems', changeType: 'created' },
  { folder: 'drafts', resourceFolder: 'Drafts', changeType: 'deleted' },
  { folder: 'inbox', resourceFolder: 'Inbox', changeType: 'created' },
];

/** Graph allows 4,230 minutes for message subscriptions; stay below and renew a day ahead. */
const LIFETIME_MS = 4_200 * 60_000;
const RENEW_AHEAD_MS = 24 * 3_600_000;
/** After a failed subscription, the mailbox is left alone for 30 s, doubling per failure up to an hour. */
const FAILED_BACKOFF_MS = 30_000;
const FAILED_BACKOFF_MAX_MS = 3_600_000;
/** How long this process trusts what it last saw of a mailbox without asking Redis again. */
const LOCAL_MEMO_MS = 30_000;

export interface MailWatchOptions {
  prefix: string;
  notificationUrl: string;
  clientState: string;
  /** How long message/conversation → request links live (the request's retention). */
  linkTtlMs: number;
}

export class MailWatch implements MailboxWatcher {
  private readonly redis: RedisClient;
  private readonly mail: GraphSubscriptionPort;
  private readonly options: MailWatchOptions;
  private readonly keys: DraftbridgeKeys['mailWatch'];
  private readonly now: () => number;
  /** Mailbox → until when this process skips `ensure` (subscribed, or failing and backing off). */
  private readonly settled = new Map<string, number>();

  constructor(
    redis: RedisClient,
    mail: GraphSubscriptionPort,
    options: MailWatchOptions & { now?: () => number },
  ) {
    this.redis = redis;
    this.mail = mail;
    this.options = options;
    this.keys = keysFor(options.prefix).mailWatch;
    this.now = options.now ?? Date.now;
  }

  /**
   * Subscribes the mailbox's three folders once; a lock keeps parallel deliveries from doubling it.
   * A mailbox already subscribed, or whose last subscription failed (backing off), costs nothing
   * more: one Redis read at most every 30 s per process.
   */
  async ensure(mailbox: string): Promise<void> {
    const box = mailbox.toLowerCase();
    const now = this.now();
    if ((this.settled.get(box) ?? 0) > now) return;
    const [subscribed, failing] = await this.redis.mget(this.keys.mailbox(box), this.keys.failing(box));
    if (subscribed !== null || failing !== null) {
      this.settled.set(box, now + LOCAL_MEMO_MS);
      return;
    }
    if ((await this.redis.set(this.keys.lock(box), '1', 'PX', 30_000, 'NX')) !== 'OK') return;
    try {
      const ids: string[] = [];
      for (const f of FOLDERS) {
        const sub = await this.mail.subscribe({
          resource: `users/${box}/mailFolders('${f.resourceFolder}')/messages`,
          changeType: f.changeType,
          notificationUrl: this.options.notificationUrl,
          lifecycleNotificationUrl: this.options.notificationUrl,
          clientState: this.options.clientState,
          expirationDateTime: new Date(this.now() + LIFETIME_MS),
        });
        const expires = Date.parse(sub.expirationDateTime);
        await this.redis
          .multi()
          .hset(this.keys.subscription(sub.id), { mailbox: box, folder: f.folder, expires: String(expires) })
          .pexpireat(this.keys.subscription(sub.id), expires)
          .zadd(this.keys.expiry, expires, sub.id)
          .exec();
        ids.push(sub.id);
      }
      // Expires with the subscriptions: if renewal ever fails, the next draft subscribes again.
      await this.redis
        .multi()
        .set(this.keys.mailbox(box), ids.join(','), 'PX', LIFETIME_MS)
        .del(this.keys.failing(box))
        .exec();
      this.settled.set(box, this.now() + LOCAL_MEMO_MS);
    } catch (err) {
      // Back off before the next try, across processes: INCR counts the failures, the expiry doubles.
      const failures = await this.redis.incr(this.keys.failing(box)).catch(() => 1);
      const backoff = Math.min(FAILED_BACKOFF_MAX_MS, FAILED_BACKOFF_MS * 2 ** Math.min(failures - 1, 10));
      await this.redis.pexpire(this.keys.failing(box), backoff).catch(() => undefined);
      this.settled.set(box, this.now() + Math.min(backoff, LOCAL_MEMO_MS));
      throw err;
    } finally {
      await this.redis.del(this.keys.lock(box));
    }
  }

  async subscription(id: string): Promise<{ mailbox: string; folder: WatchedFolder } | null> {
    const parsed = SubscriptionInfo.safeParse(await this.redis.hgetall(this.keys.subscription(id)));
    return parsed.success ? parsed.data : null;
  }

  /** Renews every subscription that would expire within a day (run hourly). */
  async renewDue(now = this.now()): Promise<number> {
    const due = await this.redis.zrangebyscore(this.keys.expiry, 0, now + RENEW_AHEAD_MS);
    for (const id of due) {
      try {
        await this.renew(id);
      } catch (err) {
        // Gone or refused for good: forget it; the mailbox's next draft subscribes again.
        if (!(err instanceof UpstreamRejected)) throw err;
        await this.forget(id);
      }
    }
    return due.length;
  }

  async renew(id: string): Promise<void> {
    const sub = await this.mail.renewSubscription(id, new Date(this.now() + LIFETIME_MS));
    const expires = Date.parse(sub.expirationDateTime);
    const info = await this.subscription(id);
    const m = this.redis
      .multi()
      .hset(this.keys.subscription(id), 'expires', String(expires))
      .pexpireat(this.keys.subscription(id), expires)
      .zadd(this.keys.expiry, expires, id);
    if (info) m.pexpireat(this.keys.mailbox(info.mailbox), expires);
    await m.exec();
  }

  /** Graph removed the subscription: forget the mailbox so the next delivery subscribes again. */
  async forget(id: string): Promise<void> {
    const sub = await this.subscription(id);
    await this.redis.multi().del(this.keys.subscription(id)).zrem(this.keys.expiry, id).exec();
    if (sub) {
      await this.redis.del(this.keys.mailbox(sub.mailbox));
      this.settled.delete(sub.mailbox);
    }
  }

  /** Plain commands (no MULTI): each stands alone and a retry repeats them; sent with whatever else goes out in the tick. */
  async link(requestId: string, ref: { id: string; conversationId?: string | undefined }): Promise<void> {
    await Promise.all([
      this.redis.set(this.keys.message(ref.id), requestId, 'PX', this.options.linkTtlMs),
      ref.conversationId
        ? this.redis.set(this.keys.conversation(ref.conversationId), requestId, 'PX', this.options.linkTtlMs)
        : undefined,
      // The request's own list of its links: an erasure deletes them without scanning every link.
      this.redis.sadd(
        this.keys.links(requestId),
        this.keys.message(ref.id),
        ...(ref.conversationId ? [this.keys.conversation(ref.conversationId)] : []),
      ),
      this.redis.pexpire(this.keys.links(requestId), this.options.linkTtlMs),
    ]);
  }

  async requestForMessage(messageId: string): Promise<string | null> {
    return this.redis.get(this.keys.message(messageId));
  }

  async requestForConversation(conversationId: string): Promise<string | null> {
    return this.redis.get(this.keys.conversation(conversationId));
  }
}
