import { RedisScript, type RedisClient as Redis } from '../redis.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import {
  lastVerification,
  type AuditEvent,
  type AuditFollower,
  type AuditTrail,
  type VerificationRecord,
} from '../audit/trail.ts';
import { APPLY_OPS_LUA, ScriptOps } from '../audit/script-ops.ts';

/**
 * What the review page shows, folded from the audit trail: the trail is the one record of every
 * state change. The fold runs as events are sealed, in the seal's own script (`reviewLedgerFollower`),
 * so the counters are current whenever the page asks and its first render after a restart reads a
 * few keys, however long the history. `catchUp` folds by hand whatever the sealer did not (a ledger
 * that fell behind, e.g. right after an upgrade), from a cursor, compare-and-set. Ids, codes and
 * counts only.
 */

export const DAILY_COUNTERS = [
  'awaiting',
  'approved',
  'rejected',
  'replied',
  'auto_sent',
  'blocked',
  'dead_letter',
] as const;
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
  /** The last verification from the checkpoint and the last of the whole chain (`draftbridge audit verify [--full]`). */
  verifications: { incremental: VerificationRecord | null; full: VerificationRecord | null };
  lastRetentionRun: { at: string; outcome: string } | null;
}

const BATCH = 500;
const MAX_BATCHES = 40;
const DAY_TTL_SECONDS = 40 * 86_400;
const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

// A hand fold of events (cursor ARGV[1], exclusive, to ARGV[2]) commits only if nobody folded since.
const FOLD_SCRIPT = new RedisScript(`${APPLY_OPS_LUA}
if (redis.call('GET', KEYS[1]) or '0-0') ~= ARGV[1] then return 0 end
apply(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/** The ledger's fold as the audit trail's follower: counted in the script that seals the events. */
export function reviewLedgerFollower(prefix: string): AuditFollower {
  const keys = keysFor(prefix).ops;
  return { cursorKey: keys.cursor, fold: (event, ops) => foldEvent(keys, event, ops) };
}

function foldEvent(keys: DraftbridgeKeys['ops'], e: AuditEvent, tx: ScriptOps): void {
  const at = Number(e.id.split('-')[0]);
  const day = typeof e.ts === 'string' ? e.ts.slice(0, 10) : new Date(at).toISOString().slice(0, 10);
  const count = (field: DailyCounter) =>
    tx.hincrby(keys.day(day), field, 1).expire(keys.day(day), DAY_TTL_SECONDS);
  const d = (e.details ?? {}) as Record<string, unknown>;
  const codes = (v: unknown) => (typeof v === 'string' ? v.split(',').filter((c) => CODE.test(c)) : []);
  const deadLetter = (requestId: string) => {
    const code = (v: unknown) => (typeof v === 'string' && CODE.test(v) ? v : 'unknown');
    tx.zadd(keys.deadLetters, at, requestId).hset(
      keys.deadLetterInfo,
      requestId,
      JSON.stringify({ stage: code(d.stage), error: code(d.error) }),
    );
    count('dead_letter');
  };
  switch (e.type) {
    case 'request.awaiting_review':
      if (e.requestId) tx.zadd(keys.awaiting, at, e.requestId);
      count('awaiting');
      break;
    case 'request.sent':
      if (e.requestId) tx.zrem(keys.awaiting, e.requestId);
      count(d.from === 'awaiting_review' ? 'approved' : 'auto_sent');
      break;
    case 'request.rejected':
      if (e.requestId) tx.zrem(keys.awaiting, e.requestId);
      count('rejected');
      break;
    case 'request.replied':
      count('replied');
      break;
    case 'request.blocked_sensitive':
      count('blocked');
      for (const c of codes(d.categories)) tx.hincrby(keys.blocked, c, 1);
      break;
    case 'request.failed':
      if (e.requestId) tx.zrem(keys.awaiting, e.requestId);
      if (d.reason === 'leak_guard') for (const t of codes(d.types)) tx.hincrby(keys.leakGuard, t, 1);
      if (d.reason === 'dead_letter' && e.requestId) deadLetter(e.requestId);
      else if (e.requestId) {
        // The last 50 failures no retry will fix (the contact or its owner is the problem).
        const reason = typeof d.reason === 'string' && CODE.test(d.reason) ? d.reason : 'unknown';
        tx.zadd(keys.failed, at, e.requestId)
          .hset(keys.failedInfo, e.requestId, reason)
          .zremrangebyrank(keys.failed, 0, -51);
      }
      break;
    case 'request.dead_letter':
      if (e.requestId) deadLetter(e.requestId);
      break;
    case 'request.retried':
      if (e.requestId) tx.zrem(keys.deadLetters, e.requestId).hdel(keys.deadLetterInfo, e.requestId);
      break;
    case 'audit.verified':
      tx.set(
        keys.lastAuditVerified,
        JSON.stringify({
          at: e.ts,
          outcome: e.outcome,
          checked: typeof d.checked === 'number' ? d.checked : null,
        }),
      );
      break;
    case 'retention.run':
      tx.set(keys.lastRetentionRun, JSON.stringify({ at: e.ts, outcome: e.outcome }));
      break;
  }
}

/** The last `dayCount` UTC day names (YYYY-MM-DD) up to and including the day of `now`, oldest first. */
function dayNamesEndingAt(now: number, dayCount: number): string[] {
  return Array.from({ length: dayCount }, (_, i) =>
    new Date(now - (dayCount - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** A ZRANGE … WITHSCORES reply (member, score, member, score, …) as [member, score] pairs. */
function memberScores(flat: string[]): (readonly [string, number])[] {
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, Number(flat[2 * i + 1])] as const);
}

/** A hash of counters (Redis returns strings) with numeric values. */
function numericHash(h: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
}

export class ReviewLedger {
  private readonly redis: Redis;
  private readonly audit: AuditTrail;
  private readonly prefix: string;
  private readonly keys: DraftbridgeKeys;

  constructor(redis: Redis, audit: AuditTrail, prefix: string) {
    this.redis = redis;
    this.audit = audit;
    this.keys = keysFor(prefix);
    this.prefix = `${prefix}:ops`;
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /**
   * Folds sealed events the sealer has not folded (a ledger behind the head); returns how many were
   * read. Usually none: the sealer keeps the cursor at the head.
   */
  async catchUp(): Promise<number> {
    const ops = this.keys.ops;
    let read = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const [cursor, head] = await Promise.all([this.redis.get(ops.cursor), this.audit.sealedHeadId()]);
      const from = cursor ?? '0-0';
      if (from === head) break;
      const events = await this.audit.readAfter(from, BATCH, { through: head });
      if (events.length === 0) break;
      const tx = new ScriptOps(1);
      for (const e of events) foldEvent(ops, e, tx);
      // Not committed: the sealer or another process folded meanwhile; look again.
      await FOLD_SCRIPT.run(this.redis, [ops.cursor, ...tx.keys], [from, events.at(-1)!.id, tx.toJson()]);
      read += events.length;
    }
    return read;
  }

  async snapshot(options: { days?: number; now?: number } = {}): Promise<LedgerSnapshot> {
    const now = options.now ?? Date.now();
    const dayCount = options.days ?? 14;
    const dayNames = dayNamesEndingAt(now, dayCount);
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
    const [
      awaitingRaw,
      blocked,
      leak,
      deadRaw,
      deadInfo,
      verified,
      retention,
      failedRaw,
      failedInfo,
      ...dayHashes
    ] = results as [
      string[],
      Record<string, string>,
      Record<string, string>,
      string[],
      Record<string, string>,
      string | null,
      string | null,
      string[],
      Record<string, string>,
      ...Record<string, string>[],
    ];
    return {
      awaiting: memberScores(awaitingRaw).map(([requestId, since]) => ({ requestId, since })),
      days: dayNames.map((day, i) => ({
        day,
        counts: Object.fromEntries(DAILY_COUNTERS.map((c) => [c, Number(dayHashes[i]?.[c] ?? 0)])) as Record<
          DailyCounter,
          number
        >,
      })),
      blockedByCategory: numericHash(blocked),
      leakGuardByType: numericHash(leak),
      deadLetters: memberScores(deadRaw)
        .reverse()
        .map(([requestId, at]) => ({
          requestId,
          at,
          ...(JSON.parse(deadInfo[requestId] ?? '{"stage":"unknown","error":"unknown"}') as {
            stage: string;
            error: string;
          }),
        })),
      failed: memberScores(failedRaw)
        .reverse()
        .map(([requestId, at]) => ({ requestId, at, reason: failedInfo[requestId] ?? 'unknown' })),
      lastAuditVerification: verified
        ? (JSON.parse(verified) as LedgerSnapshot['lastAuditVerification'])
        : null,
      verifications: {
        incremental: await lastVerification(this.redis, this.keys, 'incremental'),
        full: await lastVerification(this.redis, this.keys, 'full'),
      },
      lastRetentionRun: retention ? (JSON.parse(retention) as LedgerSnapshot['lastRetentionRun']) : null,
    };
  }

  /** Counts for the alert gauges: drafts waiting, those past `maxAgeMs`, and when the oldest arrived. */
  async awaitingStats(
    maxAgeMs: number,
    now = Date.now(),
  ): Promise<{ awaiting: number; overdue: number; oldestSince: number | null }> {
    const key = this.key('awaiting');
    const [[, awaiting], [, overdue], [, oldest]] = (await this.redis
      .multi()
      .zcard(key)
      .zcount(key, '-inf', now - maxAgeMs)
      .zrange(key, 0, 0, 'WITHSCORES')
      .exec()) as [[null, number], [null, number], [null, string[]]];
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
