import type { RedisClient as Redis } from '../redis.ts';
import type { AuditEvent, AuditTrail } from '../audit/trail.ts';

/**
 * What the review page shows, folded from the audit trail: the trail is the one record of every
 * state change, so the ledger reads it incrementally (a cursor in Redis) instead of the pipeline
 * writing a second set of counters. Ids, codes and counts only. One process folds at a time (a short
 * lock); the others read what is there.
 */

export const DAILY_COUNTERS = ['awaiting', 'approved', 'rejected', 'replied', 'auto_sent', 'blocked', 'dead_letter'] as const;
export type DailyCounter = (typeof DAILY_COUNTERS)[number];

export interface DeadLetter {
  requestId: string;
  stage: string;
  error: string;
  at: number;
}

export interface LedgerSnapshot {
  awaiting: { requestId: string; since: number }[];
  days: { day: string; counts: Record<DailyCounter, number> }[];
  blockedByCategory: Record<string, number>;
  leakGuardByType: Record<string, number>;
  deadLetters: DeadLetter[];
  /** Requests that ended `failed` for a reason of their own (no contact, no owner mailbox …), newest first. */
  failed?: { requestId: string; reason: string; at: number }[];
  lastAuditVerification: { at: string; outcome: string; checked: number | null } | null;
  lastRetentionRun: { at: string; outcome: string } | null;
}

const BATCH = 500;
const MAX_BATCHES = 40;
const DAY_TTL_SECONDS = 40 * 86_400;
const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

export class ReviewLedger {
  private readonly redis: Redis;
  private readonly audit: AuditTrail;
  private readonly prefix: string;

  constructor(redis: Redis, audit: AuditTrail, prefix: string) {
    this.redis = redis;
    this.audit = audit;
    this.prefix = `${prefix}:ops`;
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** Folds audit events written since the last call; returns how many were read. */
  async catchUp(): Promise<number> {
    const lock = this.key('fold-lock');
    if ((await this.redis.set(lock, '1', 'PX', 15_000, 'NX')) !== 'OK') return 0;
    let read = 0;
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        const cursor = (await this.redis.get(this.key('cursor'))) ?? '0-0';
        const events = await this.audit.readAfter(cursor, BATCH);
        if (events.length === 0) break;
        const tx = this.redis.multi();
        for (const e of events) this.fold(tx, e);
        tx.set(this.key('cursor'), events.at(-1)!.id);
        await tx.exec();
        read += events.length;
        if (events.length < BATCH) break;
      }
    } finally {
      await this.redis.del(lock);
    }
    return read;
  }

  private fold(tx: ReturnType<Redis['multi']>, e: AuditEvent): void {
    const at = Number(e.id.split('-')[0]);
    const day = e.ts.slice(0, 10);
    const count = (field: DailyCounter) => tx.hincrby(this.key(`day:${day}`), field, 1).expire(this.key(`day:${day}`), DAY_TTL_SECONDS);
    const d = e.details as Record<string, unknown>;
    const codes = (v: unknown) => (typeof v === 'string' ? v.split(',').filter((c) => CODE.test(c)) : []);
    switch (e.type) {
      case 'request.awaiting_review':
        if (e.requestId) tx.zadd(this.key('awaiting'), at, e.requestId);
        count('awaiting');
        break;
      case 'request.sent':
        if (e.requestId) tx.zrem(this.key('awaiting'), e.requestId);
        count(d.from === 'awaiting_review' ? 'approved' : 'auto_sent');
        break;
      case 'request.rejected':
        if (e.requestId) tx.zrem(this.key('awaiting'), e.requestId);
        count('rejected');
        break;
      case 'request.replied':
        count('replied');
        break;
      case 'request.blocked_sensitive':
        count('blocked');
        for (const c of codes(d.categories)) tx.hincrby(this.key('blocked'), c, 1);
        break;
      case 'request.failed':
        if (e.requestId) tx.zrem(this.key('awaiting'), e.requestId);
        if (d.reason === 'leak_guard') for (const t of codes(d.types)) tx.hincrby(this.key('leak-guard'), t, 1);
        if (d.reason === 'dead_letter' && e.requestId) this.deadLetter(tx, e.requestId, d, at, count);
        else if (e.requestId) {
          // The last 50 failures that no retry will fix (the contact or its owner is the problem).
          const reason = typeof d.reason === 'string' && CODE.test(d.reason) ? d.reason : 'unknown';
          tx.zadd(this.key('failed'), at, e.requestId).hset(this.key('failed-info'), e.requestId, reason).zremrangebyrank(this.key('failed'), 0, -51);
        }
        break;
      case 'request.dead_letter':
        if (e.requestId) this.deadLetter(tx, e.requestId, d, at, count);
        break;
      case 'request.retried':
        if (e.requestId) tx.zrem(this.key('dead-letters'), e.requestId).hdel(this.key('dead-letter-info'), e.requestId);
        break;
      case 'audit.verified':
        tx.set(this.key('last:audit-verified'), JSON.stringify({ at: e.ts, outcome: e.outcome, checked: typeof d.checked === 'number' ? d.checked : null }));
        break;
      case 'retention.run':
        tx.set(this.key('last:retention-run'), JSON.stringify({ at: e.ts, outcome: e.outcome }));
        break;
    }
  }

  private deadLetter(tx: ReturnType<Redis['multi']>, requestId: string, d: Record<string, unknown>, at: number, count: (f: DailyCounter) => unknown): void {
    const code = (v: unknown) => (typeof v === 'string' && CODE.test(v) ? v : 'unknown');
    tx.zadd(this.key('dead-letters'), at, requestId).hset(this.key('dead-letter-info'), requestId, JSON.stringify({ stage: code(d.stage), error: code(d.error) }));
    count('dead_letter');
  }

  async snapshot(options: { days?: number; now?: number } = {}): Promise<LedgerSnapshot> {
    const now = options.now ?? Date.now();
    const dayCount = options.days ?? 14;
    const dayNames = Array.from({ length: dayCount }, (_, i) => new Date(now - (dayCount - 1 - i) * 86_400_000).toISOString().slice(0, 10));
    const tx = this.redis
      .multi()
      .zrange(this.key('awaiting'), 0, 499, 'WITHSCORES')
      .hgetall(this.key('blocked'))
      .hgetall(this.key('leak-guard'))
      .zrange(this.key('dead-letters'), 0, 199, 'WITHSCORES')
      .hgetall(this.key('dead-letter-info'))
      .get(this.key('last:audit-verified'))
      .get(this.key('last:retention-run'))
      .zrange(this.key('failed'), 0, 49, 'WITHSCORES')
      .hgetall(this.key('failed-info'));
    for (const day of dayNames) tx.hgetall(this.key(`day:${day}`));
    const results = ((await tx.exec()) ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const [awaitingRaw, blocked, leak, deadRaw, deadInfo, verified, retention, failedRaw, failedInfo, ...dayHashes] = results as [string[], Record<string, string>, Record<string, string>, string[], Record<string, string>, string | null, string | null, string[], Record<string, string>, ...Record<string, string>[]];
    const pairs = (flat: string[]) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, Number(flat[2 * i + 1])] as const);
    const numbers = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
    return {
      awaiting: pairs(awaitingRaw).map(([requestId, since]) => ({ requestId, since })),
      days: dayNames.map((day, i) => ({ day, counts: Object.fromEntries(DAILY_COUNTERS.map((c) => [c, Number(dayHashes[i]?.[c] ?? 0)])) as Record<DailyCounter, number> })),
      blockedByCategory: numbers(blocked),
      leakGuardByType: numbers(leak),
      deadLetters: pairs(deadRaw)
        .reverse()
        .map(([requestId, at]) => ({ requestId, at, ...(JSON.parse(deadInfo[requestId] ?? '{"stage":"unknown","error":"unknown"}') as { stage: string; error: string }) })),
      failed: pairs(failedRaw)
        .reverse()
        .map(([requestId, at]) => ({ requestId, at, reason: failedInfo[requestId] ?? 'unknown' })),
      lastAuditVerification: verified ? (JSON.parse(verified) as LedgerSnapshot['lastAuditVerification']) : null,
      lastRetentionRun: retention ? (JSON.parse(retention) as LedgerSnapshot['lastRetentionRun']) : null,
    };
  }

  /** Counts for the alert gauges: drafts waiting, those past `maxAgeMs`, and when the oldest arrived. */
  async awaitingStats(maxAgeMs: number, now = Date.now()): Promise<{ awaiting: number; overdue: number; oldestSince: number | null }> {
    const key = this.key('awaiting');
    const [[, awaiting], [, overdue], [, oldest]] = (await this.redis.multi().zcard(key).zcount(key, '-inf', now - maxAgeMs).zrange(key, 0, 0, 'WITHSCORES').exec()) as [[null, number], [null, number], [null, string[]]];
    return { awaiting, overdue, oldestSince: oldest.length === 2 ? Number(oldest[1]) : null };
  }

  /** Drops entries whose request record is gone (erased by a data-subject request or expired). */
  async forget(requestIds: string[]): Promise<void> {
    if (requestIds.length === 0) return;
    await this.redis
      .multi()
      .zrem(this.key('awaiting'), ...requestIds)
      .zrem(this.key('dead-letters'), ...requestIds)
      .zrem(this.key('failed'), ...requestIds)
      .hdel(this.key('failed-info'), ...requestIds)
      .hdel(this.key('dead-letter-info'), ...requestIds)
      .exec();
  }
}
