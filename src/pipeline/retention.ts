import { Gauge } from 'prom-client';
import type { RedisClient as Redis } from '../redis.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import { keysFor } from '../keys.ts';
import { registry } from '../metrics.ts';
import { defaultJobOptions, QUEUE_NAMES, type StageQueues } from './queues.ts';

/** What a retention sweep touches: the audit trail, the queues and the stores under the prefix. */
export interface RetentionDeps {
  settings: Pick<Settings, 'DRAFTBRIDGE_QUEUE_PREFIX'>;
  policy: Policy;
  audit: AuditTrail;
  queues: StageQueues;
  redis: Redis;
}

/**
 * The retention sweeper: audit events past their class and finished jobs past their age go. Request
 * records, the vault and dedupe entries expire by TTL on their own. Runs from `draftbridge retention
 * run` and by itself on the policy's schedule (`privacy.retentionSweepEvery`); a dry run only counts.
 * Every run is audited and recorded in Redis, where /metrics reads it (the sweeper runs in a worker
 * process, the metrics are served by the API).
 */
export interface RetentionReport {
  dryRun: boolean;
  auditEvents: number;
  jobs: Record<string, number>;
  /** Subject keys whose subject's last event is past the audit class (a dry run: not counted, 0). */
  subjectKeys: number;
  /** Review-page entries about requests whose records expired. */
  reviewEntries: number;
  /** The incremental verification the sweep runs, so checkpoints advance on its schedule (real runs only). */
  verified: { ok: boolean; events: number } | null;
  at: string;
}

const DAY = 86_400_000;

export async function runRetention(
  ctx: RetentionDeps,
  options: { dryRun?: boolean; actor?: string; now?: number } = {},
): Promise<RetentionReport> {
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? Date.now();
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const auditAge = ctx.policy.retention.audit ?? 365 * DAY;
  const auditEvents = dryRun
    ? await countAuditBefore(ctx, now - auditAge)
    : await ctx.audit.trim(auditAge, now);
  const jobs: Record<string, number> = {};
  for (const name of QUEUE_NAMES) {
    // Same ages as the queues' own removeOnComplete/removeOnFail (intake keeps the dedupe window).
    const opts = defaultJobOptions(ctx.policy, name);
    const age = (o: unknown) => ((o as { age: number }).age ?? 0) * 1000;
    if (dryRun) {
      // Finished jobs sit in sorted sets scored by when they finished.
      const [done, failed] = await Promise.all([
        ctx.redis.zcount(`${prefix}:${name}:completed`, '-inf', `(${now - age(opts.removeOnComplete)}`),
        ctx.redis.zcount(`${prefix}:${name}:failed`, '-inf', `(${now - age(opts.removeOnFail)}`),
      ]);
      jobs[name] = done + failed;
    } else {
      const done = await ctx.queues[name].clean(age(opts.removeOnComplete), 10_000, 'completed');
      const failed = await ctx.queues[name].clean(age(opts.removeOnFail), 10_000, 'failed');
      jobs[name] = done.length + failed.length;
    }
  }
  // Keys and lists kept by index, each swept from its time-ordered record: the cost follows what expires.
  const subjectKeys = dryRun ? 0 : await ctx.audit.sweepSubjectKeys(now - auditAge - DAY);
  const reviewEntries = await sweepReviewLists(
    ctx,
    now - (ctx.policy.retention.request ?? 30 * DAY) - DAY,
    dryRun,
  );
  let verified: RetentionReport['verified'] = null;
  if (!dryRun) {
    const result = await ctx.audit.verify({ from: 'checkpoint' });
    verified = { ok: result.ok, events: result.checked };
  }
  const report: RetentionReport = {
    dryRun,
    auditEvents,
    jobs,
    subjectKeys,
    reviewEntries,
    verified,
    at: new Date(now).toISOString(),
  };
  const removed = auditEvents + subjectKeys + reviewEntries + Object.values(jobs).reduce((a, b) => a + b, 0);
  await ctx.audit.append({
    type: 'retention.run',
    actor: options.actor ?? 'cli',
    outcome: dryRun ? 'dry_run' : 'ok',
    details: { dryRun, auditRemoved: auditEvents, subjectKeys, reviewEntries, ...jobs },
  });
  await ctx.redis
    .multi()
    .hset(`${prefix}:retention:last`, {
      at: String(now),
      dryRun: dryRun ? '1' : '0',
      removed: String(removed),
      auditEvents: String(auditEvents),
    })
    .hincrby(`${prefix}:retention:runs`, dryRun ? 'dry_run' : 'run', 1)
    .exec();
  return report;
}

/**
 * The review page's lists (awaiting review, dead letters) name requests; an entry older than the
 * request class is about a record that expired, so it goes (by score, oldest first).
 */
async function sweepReviewLists(ctx: RetentionDeps, cutoff: number, dryRun: boolean): Promise<number> {
  const ops = keysFor(ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX).ops;
  let removed = 0;
  for (const list of [ops.awaiting, ops.deadLetters]) {
    if (dryRun) {
      removed += await ctx.redis.zcount(list, '-inf', `(${cutoff}`);
      continue;
    }
    for (;;) {
      const ids = await ctx.redis.zrangebyscore(list, '-inf', `(${cutoff}`, 'LIMIT', 0, 1000);
      if (ids.length === 0) break;
      const tx = ctx.redis.multi().zrem(list, ...ids);
      if (list === ops.deadLetters) tx.hdel(ops.deadLetterInfo, ...ids);
      await tx.exec();
      removed += ids.length;
    }
  }
  return removed;
}

async function countAuditBefore(ctx: RetentionDeps, cutoff: number): Promise<number> {
  const stream = `${ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:audit`;
  let n = 0;
  let start = '-';
  for (;;) {
    const batch = (await ctx.redis.xrange(
      stream,
      start,
      `${cutoff - 1}-18446744073709551615`,
      'COUNT',
      1000,
    )) as [string, string[]][];
    const fresh = start === '-' ? batch : batch.slice(1);
    if (fresh.length === 0) return n;
    n += fresh.length;
    start = fresh[fresh.length - 1]![0];
  }
}

type RetentionSource = () => Promise<{ last: Record<string, string>; runs: Record<string, string> }>;
let source: RetentionSource | undefined;

/** The API registers where /metrics reads the sweeper's record (like the queue counts). */
export function setRetentionSource(ctx: RetentionDeps | undefined): void {
  source = ctx
    ? async () => {
        const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
        const [last, runs] = await Promise.all([
          ctx.redis.hgetall(`${prefix}:retention:last`),
          ctx.redis.hgetall(`${prefix}:retention:runs`),
        ]);
        return { last, runs };
      }
    : undefined;
}

async function readSource(): Promise<
  { last: Record<string, string>; runs: Record<string, string> } | undefined
> {
  try {
    return await source?.();
  } catch {
    // Redis down: the scrape still answers.
    return undefined;
  }
}

export const retentionRuns = new Gauge({
  name: 'draftbridge_retention_runs',
  help: 'Retention sweeper runs so far (mode: run, dry_run), from Redis',
  labelNames: ['mode'] as const,
  registers: [registry],
  async collect() {
    const read = await readSource();
    if (!read) return;
    this.reset();
    for (const [mode, n] of Object.entries(read.runs)) this.set({ mode }, Number(n));
  },
});

export const retentionLastRun = new Gauge({
  name: 'draftbridge_retention_last_run_timestamp_seconds',
  help: 'When the retention sweeper last ran (Unix time)',
  registers: [registry],
  async collect() {
    const at = (await readSource())?.last.at;
    if (at) this.set(Number(at) / 1000);
  },
});

export const retentionLastRemoved = new Gauge({
  name: 'draftbridge_retention_last_removed',
  help: 'Audit events and jobs the last retention run removed (or would remove, for a dry run)',
  registers: [registry],
  async collect() {
    const last = (await readSource())?.last;
    if (last?.at) this.set(Number(last.removed ?? 0));
  },
});
