import type { RedisClient as Redis } from '../redis.ts';

/**
 * Counts jobs arriving in a queue's failed set (a dead letter: attempts exhausted, unrecoverable, or
 * stalled too often), read from Redis when asked (at scrape time) instead of following the queue's
 * event stream: BullMQ scores the failed sorted set by the time the job failed, so what arrived
 * since the last read is a range query, and no process parses every job's events to find the few
 * that fail. A member is counted once per failure (id and score): a job retried from the failed set
 * that fails again counts again. Counts start at zero when the process starts.
 */
export class DeadLetterCount {
  private readonly redis: Redis;
  private readonly failedKey: string;
  /** How far before the last read to look again: another process's clock may run behind ours. */
  private readonly skewMs: number;
  private readonly seen = new Map<string, number>();
  private lastReadAt = 0;
  private primed = false;

  constructor(redis: Redis, failedKey: string, options: { skewMs?: number } = {}) {
    this.redis = redis;
    this.failedKey = failedKey;
    this.skewMs = options.skewMs ?? 10 * 60_000;
  }

  /** Dead letters since the previous call (the first call only marks what is already there). */
  async newSince(now = Date.now()): Promise<number> {
    const from = Math.min(this.lastReadAt || now, now) - this.skewMs;
    const raw = await this.redis.zrangebyscore(this.failedKey, from, '+inf', 'WITHSCORES');
    let fresh = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const member = `${raw[i]}\n${raw[i + 1]}`;
      if (this.seen.has(member)) continue;
      this.seen.set(member, Number(raw[i + 1]));
      if (this.primed) fresh++;
    }
    // What falls before the next read's window can never be returned again.
    for (const [member, score] of this.seen) if (score < from) this.seen.delete(member);
    this.primed = true;
    this.lastReadAt = now;
    return fresh;
  }
}
