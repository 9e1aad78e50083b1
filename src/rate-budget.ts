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
const RESERVE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, weight, maxWait, margin = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rules, longest = {}, 0
for i = 1, tonumber(ARGV[5]) do
  local w = tonumber(ARGV[3 + 3 * i])
  rules[i] = { w, tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i]) }
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local raw = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local scores, weights, n = {}, {}, #raw / 2
for i = 1, n do
  scores[i] = tonumber(raw[2 * i])
  weights[i] = tonumber(string.match(raw[2 * i - 1], '|(%d+)$')) or 0
end
local at = now
if n > 0 and scores[n] > at then at = scores[n] end
local changed = true
while changed do
  changed = false
  for _, r in ipairs(rules) do
    local w, maxCount, maxWeight = r[1], r[2], r[3]
    -- A call heavier than the whole window is allowed alone.
    local need = weight
    if maxWeight > 0 and need > maxWeight then need = maxWeight end
    local j, count, sum = 1, 0, 0
    while j <= n and scores[j] <= at - w do j = j + 1 end
    for k = j, n do count = count + 1; sum = sum + weights[k] end
    local later = at
    while j <= n and ((maxCount > 0 and count + 1 > maxCount) or (maxWeight > 0 and sum + need > maxWeight)) do
      later = scores[j] + w + margin
      count = count - 1
      sum = sum - weights[j]
      j = j + 1
    end
    if later > at then at = later; changed = true end
  end
end
local wait = at - now
if wait > maxWait then return { 0, wait, '' } end
local member = id .. '|' .. weight
redis.call('ZADD', KEYS[1], at, member)
redis.call('PEXPIRE', KEYS[1], wait + longest + 1000)
return { 1, wait, member }
`);

/** Swaps a booking's weight and, with ARGV[3] = 1, moves it to now if that is later; keeps it counted a window. */
const SETTLE = new RedisScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at then return 0 end
at = tonumber(at)
if ARGV[3] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now > at then at = now end
end
if ARGV[2] ~= ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[1], at, ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`);

export class RedisRateBudget implements RateBudget {
  private readonly redis: RedisClient;
  private readonly keys: ReturnType<typeof keysFor>;

  constructor(redis: RedisClient, options: { prefix: string }) {
    this.redis = redis;
    this.keys = keysFor(options.prefix);
  }

  async reserve(spec: RateBudgetSpec, weight: number, maxWaitMs: number): Promise<RateGrant> {
    const w = Math.max(0, Math.ceil(weight));
    const args: (string | number)[] = [randomUUID(), w, Math.max(0, Math.floor(maxWaitMs)), Math.max(0, Math.ceil(spec.marginMs)), spec.rules.length];
    for (const r of spec.rules) args.push(r.windowMs, r.maxCount ?? 0, r.maxWeight ?? 0);
    const [granted, waitMs, member] = (await RESERVE.run(this.redis, [this.keys.rateBudget(spec.name)], args)) as [number, number, string];
    const windowMs = Math.max(...spec.rules.map((r) => r.windowMs)) + spec.marginMs;
    return granted === 1 ? { granted: true, waitMs, ticket: { name: spec.name, member, weight: w, windowMs } } : { granted: false, waitMs };
  }

  async settle(ticket: RateTicket, correction: { weight?: number; restamp?: boolean }): Promise<void> {
    const w = correction.weight === undefined ? ticket.weight : Math.max(0, Math.ceil(correction.weight));
    if (w === ticket.weight && !correction.restamp) return;
    const member = ticket.member.replace(/\|\d+$/, `|${w}`);
    await SETTLE.run(this.redis, [this.keys.rateBudget(ticket.name)], [ticket.member, member, correction.restamp ? 1 : 0, ticket.windowMs]);
  }

  async release(ticket: RateTicket): Promise<void> {
    await this.redis.zrem(this.keys.rateBudget(ticket.name), ticket.member);
  }
}

/** The quotas of one deployment (its queue prefix) on a connection of their own; `close` when the process stops. */
export function sharedRateBudget(redisUrl: string, prefix: string): { budget: RedisRateBudget; close(): void } {
  // A store-role connection: a booking rides out a short Redis outage instead of failing the call.
  const redis = createRedis(redisUrl, 'store', 'draftbridge-quota');
  redis.on('error', () => undefined);
  return { budget: new RedisRateBudget(redis, { prefix }), close: () => redis.disconnect() };
}
