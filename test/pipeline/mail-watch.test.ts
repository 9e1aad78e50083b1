import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamRejected } from '../../src/errors.ts';
import { MailWatch } from '../../src/pipeline/mail-watch.ts';
import type { GraphSubscriptionPort, MailSubscription } from '../../src/ports.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

/** Only the subscription calls MailWatch makes; everything else is not expected. */
function fakeMail(now: () => number) {
  const subscribed: { resource: string; changeType: string }[] = [];
  const gone = new Set<string>();
  let n = 0;
  const failing = { on: false };
  const notUsed = async (): Promise<never> => {
    throw new Error('not used by MailWatch');
  };
  const mail: GraphSubscriptionPort = {
    delta: notUsed,
    deleteSubscription: notUsed,
    async subscribe(input): Promise<MailSubscription> {
      subscribed.push({ resource: input.resource, changeType: input.changeType });
      if (failing.on)
        throw new UpstreamRejected('graph', 400, 'notification url did not answer the validation');
      return {
        id: `sub-${++n}`,
        resource: input.resource,
        expirationDateTime: input.expirationDateTime.toISOString(),
      };
    },
    async renewSubscription(id, expirationDateTime): Promise<MailSubscription> {
      if (gone.has(id)) throw new UpstreamRejected('graph', 404, 'subscription gone');
      return {
        id,
        resource: 'r',
        expirationDateTime: new Date(Math.max(expirationDateTime.getTime(), now())).toISOString(),
      };
    },
  };
  return { mail, subscribed, gone, failing };
}

describe('MailWatch (Graph subscriptions and message links in Redis)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('mailwatch');
  // Starts at the real time: Redis expires the keys by its own clock.
  let clock = Date.now();
  const now = () => clock;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('subscribes a mailbox’s three folders once, renews what expires within a day and forgets what Graph no longer has', async () => {
    const fake = fakeMail(now);
    const watch = new MailWatch(redis, fake.mail, {
      prefix,
      notificationUrl: 'https://draftbridge.example.com/webhooks/graph',
      clientState: 'client-state-0123456789',
      linkTtlMs: 60_000,
      now,
    });
    await Promise.all([watch.ensure('Max.Vertrieb@example.com'), watch.ensure('max.vertrieb@example.com')]);
    await watch.ensure('max.vertrieb@example.com');
    expect(fake.subscribed.map((s) => s.changeType)).toEqual(['created', 'deleted', 'created']);
    expect(fake.subscribed[0]!.resource).toBe(
      "users/max.vertrieb@example.com/mailFolders('SentItems')/messages",
    );
    expect(await watch.subscription('sub-2')).toEqual({
      mailbox: 'max.vertrieb@example.com',
      folder: 'drafts',
    });

    // Nothing is due yet; a fake clock, not a real wait, moves us to the renewal window.
    expect(await watch.renewDue()).toBe(0);
    clock += 4_200 * 60_000 - 12 * 3_600_000;
    fake.gone.add('sub-3');
    expect(await watch.renewDue()).toBe(3);
    expect(await watch.subscription('sub-3')).toBeNull();
    expect(await watch.subscription('sub-1')).toMatchObject({ folder: 'sentitems' });
  });

  it('leaves a mailbox whose subscription failed alone while backing off, in this process and in others', async () => {
    const fake = fakeMail(now);
    fake.failing.on = true;
    const options = {
      prefix,
      notificationUrl: 'https://draftbridge.example.com/webhooks/graph',
      clientState: 'client-state-0123456789',
      linkTtlMs: 60_000,
      now,
    };
    const watch = new MailWatch(redis, fake.mail, options);
    await expect(watch.ensure('erika.vertrieb@example.com')).rejects.toThrow(/validation/);
    expect(fake.subscribed).toHaveLength(1);
    // The next deliveries to that mailbox, here and in another process, do not try again yet.
    await watch.ensure('erika.vertrieb@example.com');
    await new MailWatch(redis, fake.mail, options).ensure('Erika.Vertrieb@example.com');
    expect(fake.subscribed).toHaveLength(1);
    const ttl = await redis.pttl(`${prefix}:mailwatch:failing:erika.vertrieb@example.com`);
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    // Backoff over (the key expired, the clock moved on): the next delivery subscribes.
    fake.failing.on = false;
    await redis.del(`${prefix}:mailwatch:failing:erika.vertrieb@example.com`);
    clock += 31_000;
    await watch.ensure('erika.vertrieb@example.com');
    expect(fake.subscribed).toHaveLength(4);
    expect(await redis.exists(`${prefix}:mailwatch:mailbox:erika.vertrieb@example.com`)).toBe(1);
  });

  it('links a message and its conversation to the request', async () => {
    const watch = new MailWatch(redis, fakeMail(now).mail, {
      prefix,
      notificationUrl: 'https://draftbridge.example.com/webhooks/graph',
      clientState: 'client-state-0123456789',
      linkTtlMs: 60_000,
      now,
    });
    await watch.link('req-watch-1', { id: 'msg-1', conversationId: 'conv-1' });
    expect([
      await watch.requestForMessage('msg-1'),
      await watch.requestForConversation('conv-1'),
      await watch.requestForMessage('msg-2'),
    ]).toEqual(['req-watch-1', 'req-watch-1', null]);
  });
});
