import { randomUUID } from 'node:crypto';
import { keysFor } from './keys.ts';
import type { RateBudget, RateBudgetSpec, RateGrant, RateTicket } from './ports.ts';
import { createRedis, RedisScript, type RedisClient } from './redis.ts';

/**
 * Provider quotas shared by every draftbridge process: a weighted sliding-window log per quota in one
 * sorted set under the queue prefix (so on a cluster it sits in the prefix's hash slot). Each booking
 * is a member `<id>|<weight>` scored by the time it may call (ms, Redis server time, so processes on
 * different clocks agree). One script finds the earliest time at or after the last booking at which
 * every rule still holds with the new weight, and books it there: callers are served first come,
 * first served and sleep until their slot instead of polling for the one that frees next.
 */
const RESERVE = RedisScript.fromFile(new URL('./lua/rate-reserve.lua', import.meta.url));

const SETTLE = RedisScript.fromFile(new URL('./lua/rate-settle.lua', import.meta.url));

export class RedisRateBudget implements RateBudget {
  private readonly redis: RedisClient;
  private readonly keys: ReturnType<typeof keysFor>;

  constructor(redis: RedisClient, options: { prefix: string }) {
    this.redis = redis;
    this.keys = keysFor(options.prefix);
  }

  async reserve(spec: RateBudgetSpec, weight: number, maxWaitMs: number): Promise<RateGrant> {
    const w = Math.max(0, Math.ceil(weight));
    const args: (string | number)[] = [
      randomUUID(),
      w,
      Math.max(0, Math.floor(maxWaitMs)),
      Math.max(0, Math.ceil(spec.marginMs)),
      spec.rules.length,
    ];
    for (const r of spec.rules) args.push(r.windowMs, r.maxCount ?? 0, r.maxWeight ?? 0);
    const [granted, waitMs, member] = (await RESERVE.run(
      this.redis,
      [this.keys.rateBudget(spec.name)],
      args,
    )) as [number, number, string];
    const windowMs = Math.max(...spec.rules.map((r) => r.windowMs)) + spec.marginMs;
    return granted === 1
      ? { granted: true, waitMs, ticket: { name: spec.name, member, weight: w, windowMs } }
      : { granted: false, waitMs };
  }

  async settle(ticket: RateTicket, correction: { weight?: number; restamp?: boolean }): Promise<void> {
    const w = correction.weight === undefined ? ticket.weight : Math.max(0, Math.ceil(correction.weight));
    if (w === ticket.weight && !correction.restamp) return;
    const member = ticket.member.replace(/\|\d+$/, `|${w}`);
    await SETTLE.run(
      this.redis,
      [this.keys.rateBudget(ticket.name)],
      [ticket.member, member, correction.restamp ? 1 : 0, ticket.windowMs],
    );
  }

  async release(ticket: RateTicket): Promise<void> {
    await this.redis.zrem(this.keys.rateBudget(ticket.name), ticket.member);
  }
}

/** The quotas of one deployment (its queue prefix) on a connection of their own; `close` when the process stops. */
export function sharedRateBudget(
  redisUrl: string,
  prefix: string,
): { budget: RedisRateBudget; close(): void } {
  // A store-role connection: a booking rides out a short Redis outage instead of failing the call.
  const redis = createRedis(redisUrl, 'store', 'draftbridge-quota');
  redis.on('error', () => undefined);
  return { budget: new RedisRateBudget(redis, { prefix }), close: () => redis.disconnect() };
}
