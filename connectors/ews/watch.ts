import type { Cluster, Redis as SingleRedis } from 'ioredis';
import { UpstreamRejected } from '../../src/errors.ts';
import type { MailboxChange, PolledWatcher } from '../../src/ports.ts';
import type { EwsEvent, EwsMail } from './connector.ts';

/** A connection or a cluster (the service's store connection may be either). */
type Redis = SingleRedis | Cluster;

/**
 * The approval loop on Exchange: a pull subscription per rep mailbox (Drafts, Sent Items, Inbox),
 * read with GetEvents on a schedule, the watermark kept in Redis so a restart goes on where the last
 * poll stopped. A draft moved to Sent Items (or gone from Drafts with a sent copy there) is the
 * approval, a draft moved to Deleted Items or deleted is the rejection, a message from someone else
 * in the draft's conversation is the lead's reply. When Exchange has dropped the subscription
 * (expired during a long outage, server restarted), the watcher subscribes again and catches up:
 * each pending draft is looked up by its request property, the Inbox is read with SyncFolderItems
 * from the stored sync state.
 */
export interface EwsWatchOptions {
  prefix: string;
  /** How long message/conversation links and pending drafts live (the request's retention). */
  linkTtlMs: number;
  /** Pull subscription timeout: Exchange drops it when no GetEvents comes for this long (1–1440). */
  subscriptionTimeoutMinutes?: number;
}

const PAGES_PER_POLL = 20;
const SYNC_PAGES = 50;
const LOCAL_MEMO_MS = 30_000;

export class EwsWatch implements PolledWatcher {
  private readonly redis: Redis;
  private readonly ews: EwsMail;
  private readonly options: EwsWatchOptions;
  private readonly settled = new Map<string, number>();

  constructor(redis: Redis, ews: EwsMail, options: EwsWatchOptions) {
    this.redis = redis;
    this.ews = ews;
    this.options = options;
  }

  key(...parts: string[]): string {
    return [this.options.prefix, 'ewswatch', ...parts].join(':');
  }

  async link(
    requestId: string,
    ref: { id: string; conversationId?: string | undefined; mailbox?: string },
  ): Promise<void> {
    const ttl = this.options.linkTtlMs;
    const m = this.redis.multi().set(this.key('message', ref.id), requestId, 'PX', ttl);
    if (ref.conversationId) m.set(this.key('conversation', ref.conversationId), requestId, 'PX', ttl);
    if (ref.mailbox) {
      const box = ref.mailbox.toLowerCase();
      m.hset(this.key('pending', box), requestId, ref.id).pexpire(this.key('pending', box), ttl);
    }
    await m.exec();
  }

  /**
   * Subscribes the mailbox once (a lock keeps parallel deliveries from doubling it) and takes the
   * Inbox's sync state.
   */
  async ensure(mailbox: string): Promise<void> {
    const box = mailbox.toLowerCase();
    if ((this.settled.get(box) ?? 0) > Date.now()) return;
    if (await this.redis.exists(this.key('subscription', box))) {
      this.settled.set(box, Date.now() + LOCAL_MEMO_MS);
      return;
    }
    if ((await this.redis.set(this.key('lock', box), '1', 'PX', 60_000, 'NX')) !== 'OK') return;
    try {
      await this.subscribe(box);
      if (!(await this.redis.exists(this.key('sync', box, 'inbox'))))
        await this.catchUpInbox(box, { baseline: true });
      this.settled.set(box, Date.now() + LOCAL_MEMO_MS);
    } finally {
      await this.redis.del(this.key('lock', box));
    }
  }

  private async subscribe(box: string): Promise<void> {
    const sub = await this.ews.subscribe(box, this.options.subscriptionTimeoutMinutes ?? 1440);
    await this.redis
      .multi()
      .hset(this.key('subscription', box), { id: sub.subscriptionId, watermark: sub.watermark })
      .sadd(this.key('mailboxes'), box)
      .exec();
  }

  /**
   * Reads every subscribed mailbox's new events and hands each change to `apply`; the watermark
   * moves only after.
   */
  async pollAll(apply: (change: MailboxChange) => Promise<void>): Promise<number> {
    let count = 0;
    let failure: unknown;
    for (const box of await this.redis.smembers(this.key('mailboxes'))) {
      if ((await this.redis.set(this.key('polling', box), '1', 'PX', 120_000, 'NX')) !== 'OK') continue;
      try {
        count += await this.poll(box, apply);
      } catch (err) {
        // One mailbox must not hold up the others. Refused for good (out of the impersonation scope,
        // mailbox gone): forget it, its next draft subscribes again. Anything else fails the poll
        // after the rest.
        if (err instanceof UpstreamRejected) await this.forget(box);
        else failure ??= err;
      } finally {
        await this.redis.del(this.key('polling', box));
      }
    }
    if (failure !== undefined) throw failure;
    return count;
  }

  private async forget(box: string): Promise<void> {
    await this.redis.multi().srem(this.key('mailboxes'), box).del(this.key('subscription', box)).exec();
    this.settled.delete(box);
  }

  private async poll(box: string, apply: (change: MailboxChange) => Promise<void>): Promise<number> {
    let count = 0;
    for (let page = 0; page < PAGES_PER_POLL; page++) {
      const sub = await this.redis.hgetall(this.key('subscription', box));
      if (!sub.id || !sub.watermark) return count;
      const res = await this.ews.getEvents(box, sub.id, sub.watermark);
      if (!res) return count + (await this.recover(box, apply));
      const changes: MailboxChange[] = [];
      for (const event of res.events) changes.push(...(await this.fromEvent(box, event)));
      for (const change of dedupe(changes)) await apply(change);
      await this.settle(box, changes);
      await this.redis.hset(this.key('subscription', box), 'watermark', res.lastWatermark);
      count += changes.length;
      if (!res.moreEvents) break;
    }
    return count;
  }

  private async linked(id: string | null): Promise<string | null> {
    return id ? this.redis.get(this.key('message', id)) : null;
  }

  private async fromEvent(box: string, event: EwsEvent): Promise<MailboxChange[]> {
    if (event.type === 'StatusEvent' || event.type === 'ModifiedEvent' || !event.itemId) return [];
    if (event.type === 'MovedEvent' || event.type === 'CopiedEvent') {
      const requestId = await this.linked(event.oldItemId);
      if (!requestId) return this.fromNew(box, event.itemId, await this.ews.folderOf(box, event.folderId));
      const folder = await this.ews.folderOf(box, event.folderId);
      if (folder === 'sentitems') return [await this.sent(box, requestId, event.itemId)];
      if (folder === 'deleteditems')
        return [{ requestId, kind: 'deleted', messageId: event.oldItemId!, mailbox: box }];
      await this.link(requestId, { id: event.itemId, mailbox: box });
      return [];
    }
    if (event.type === 'DeletedEvent') {
      const requestId = await this.linked(event.itemId);
      return requestId ? this.gone(box, requestId, event.itemId) : [];
    }
    return this.fromNew(box, event.itemId, await this.ews.folderOf(box, event.folderId));
  }

  /** A new item in Sent Items (ours: approved) or the Inbox (in a draft's conversation: the reply). */
  private async fromNew(box: string, itemId: string, folder: string | null): Promise<MailboxChange[]> {
    if (folder !== 'sentitems' && folder !== 'inbox') return [];
    const info = await this.ews.info(box, itemId, { body: folder === 'sentitems' });
    if (!info) return [];
    if (folder === 'sentitems')
      return info.requestId
        ? [
            {
              requestId: info.requestId,
              kind: 'sent',
              messageId: info.id,
              ...(info.body !== null ? { body: info.body } : {}),
            },
          ]
        : [];
    const requestId = info.conversationId
      ? await this.redis.get(this.key('conversation', info.conversationId))
      : null;
    if (!requestId || info.requestId || info.from === box) return [];
    return [{ requestId, kind: 'reply', messageId: info.id, mailbox: box }];
  }

  private async sent(box: string, requestId: string, itemId: string): Promise<MailboxChange> {
    const info = await this.ews.info(box, itemId, { body: true });
    return { requestId, kind: 'sent', messageId: itemId, ...(info?.body != null ? { body: info.body } : {}) };
  }

  /** The draft's item is gone: sent (a sent copy exists), edited into a new item, or discarded. */
  private async gone(box: string, requestId: string, itemId: string): Promise<MailboxChange[]> {
    const now = await this.ews.findByRequestId(box, requestId);
    if (!now) return [{ requestId, kind: 'deleted', messageId: itemId, mailbox: box }];
    if (!now.isDraft) return [await this.sent(box, requestId, now.id)];
    if (now.id !== itemId)
      await this.link(requestId, {
        id: now.id,
        ...(now.conversationId ? { conversationId: now.conversationId } : {}),
        mailbox: box,
      });
    return [];
  }

  /** Approved or rejected requests no longer wait for review. */
  private async settle(box: string, changes: MailboxChange[]): Promise<void> {
    const done = changes.filter((c) => c.kind !== 'reply').map((c) => c.requestId);
    if (done.length) await this.redis.hdel(this.key('pending', box), ...done);
  }

  /**
   * The subscription is gone: subscribe again first (nothing after now is missed), then catch up on
   * what happened meanwhile.
   */
  private async recover(box: string, apply: (change: MailboxChange) => Promise<void>): Promise<number> {
    await this.subscribe(box);
    const changes: MailboxChange[] = [];
    for (const [requestId, itemId] of Object.entries(await this.redis.hgetall(this.key('pending', box)))) {
      const now = await this.ews.findByRequestId(box, requestId);
      if (!now || now.id !== itemId || !now.isDraft)
        changes.push(...(await this.gone(box, requestId, itemId)));
    }
    changes.push(...(await this.catchUpInbox(box, { baseline: false })));
    for (const change of dedupe(changes)) await apply(change);
    await this.settle(box, changes);
    return changes.length;
  }

  /**
   * SyncFolderItems over the Inbox from the stored state; the baseline run only records where the
   * Inbox stands.
   */
  private async catchUpInbox(box: string, options: { baseline: boolean }): Promise<MailboxChange[]> {
    let state = await this.redis.get(this.key('sync', box, 'inbox'));
    const out: MailboxChange[] = [];
    for (let page = 0; page < SYNC_PAGES; page++) {
      const res = await this.ews.syncFolderItems(box, 'inbox', state);
      if (!res) {
        // Exchange no longer knows the state: a new baseline (replies in the gap stay with the rep's Inbox).
        await this.redis.del(this.key('sync', box, 'inbox'));
        return options.baseline ? out : this.catchUpInbox(box, { baseline: true }).then(() => out);
      }
      if (!options.baseline)
        for (const id of res.created) out.push(...(await this.fromNew(box, id, 'inbox')));
      state = res.syncState;
      await this.redis.set(this.key('sync', box, 'inbox'), state, 'PX', this.options.linkTtlMs);
      if (res.done) break;
    }
    return out;
  }
}

/** One change per request and kind (a reply per message): a send can show as a move and a delete. */
function dedupe(changes: MailboxChange[]): MailboxChange[] {
  const out = new Map<string, MailboxChange>();
  for (const c of changes) {
    const key = c.kind === 'reply' ? `${c.requestId}|reply|${c.messageId}` : `${c.requestId}|decision`;
    // A sent copy outweighs a deletion seen for the same draft (the draft's item leaves Drafts either way).
    if (c.kind !== 'deleted' || out.get(key)?.kind !== 'sent') out.set(key, c);
  }
  return [...out.values()];
}
