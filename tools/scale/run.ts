import { createAppContext, subjectRequestDeps, type AppContext } from '../../src/app.ts';
import { reviewView } from '../../src/http/review-page.ts';
import { ReviewLedger } from '../../src/ops/review-ledger.ts';
import { runRetention } from '../../src/pipeline/retention.ts';
import type { Policy } from '../../src/policy.ts';
import { accessRequest, erasureRequest } from '../../src/privacy/subject-requests.ts';
import type { Settings } from '../../src/settings.ts';
import { PrivateRedis } from '../chaos/private-redis.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { seededContactId, type HistoryShape } from './seed.ts';

/**
 * `draftbridge scale`: what a year of history costs. Seeds a deployment's history into a private
 * redis-server (never the shared one), at the asked size and at a tenth of it, and measures the
 * operations whose cost must not grow with it: a subject's access and erasure, audit verification
 * (from the checkpoint and in full), the review page's first render after a restart, one day's
 * retention sweep, Redis memory per request and the process's peak RSS.
 */
export interface ScaleOptions extends HistoryShape {
  /** Subjects asked about (access) and erased, each. */
  samples: number;
  /** Events appended after the checkpoint, for the incremental verification. */
  sinceCheckpoint: number;
  onProgress?: (line: string) => void;
}

export interface ScaleFigures {
  events: number;
  subjects: number;
  requests: number;
  dsar_access_p95_ms: number;
  erasure_p95_ms: number;
  verify_incremental_ms: number;
  verify_full_events_per_s: number;
  /** The same per second of this process's CPU (user + system): what a machine not shared would reach, Redis aside. */
  verify_full_events_per_cpu_s: number;
  /** CPU seconds the private redis-server spent during the full verification. */
  verify_full_redis_cpu_s: number;
  review_first_render_ms: number;
  review_render_p50_ms: number;
  retention_sweep_ms: number;
  redis_bytes_per_request: number;
  /** The part kept for the audit class (stream, links, indexes, subject keys); the rest is kept for the request class or less. */
  redis_bytes_per_request_audit_class: number;
  rss_mb_peak: number;
  seed_s: number;
}

export type ScaleResult = ScaleFigures & { [K in keyof ScaleFigures as `${K}_small`]: ScaleFigures[K] };

const DAY = 86_400_000;
const WARM_UP = 3;

export async function runScale(
  settings: Settings,
  policy: Policy,
  options: ScaleOptions,
): Promise<ScaleResult> {
  const redis = await PrivateRedis.start();
  try {
    const tenth = (n: number) => Math.max(1, Math.round(n / 10));
    const small = await measure(
      redis,
      settings,
      policy,
      {
        ...options,
        events: tenth(options.events),
        requests: tenth(options.requests),
        subjects: tenth(options.subjects),
        sinceCheckpoint: tenth(options.sinceCheckpoint),
      },
      'small',
    );
    const full = await measure(redis, settings, policy, options, 'full');
    const smallKeys = Object.fromEntries(Object.entries(small).map(([k, v]) => [`${k}_small`, v]));
    return { ...full, ...smallKeys } as ScaleResult;
  } finally {
    await redis.stop();
  }
}

async function measure(
  server: PrivateRedis,
  settings: Settings,
  policy: Policy,
  options: ScaleOptions,
  label: string,
): Promise<ScaleFigures> {
  const progress = (line: string) =>
    options.onProgress?.(`${label}: ${line} (rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB)`);
  const rss = new RssSampler();
  const scaled: Settings = { ...settings, REDIS_URL: server.url, DRAFTBRIDGE_QUEUE_PREFIX: '{scale}' };
  let ctx = createAppContext(scaled, policy);
  try {
    await ctx.ready();
    await ctx.redis.flushall();
    const before = await usedMemory(ctx);
    progress(`seeding ${options.events} events, ${options.requests} requests, ${options.subjects} subjects`);
    const { seedS } = await seedInChild(scaled, options);
    const history = { contactId: seededContactId };
    const bytesPerRequest = Math.round((await usedMemory(ctx)) - before) / options.requests;
    const auditBytes = await auditClassBytes(ctx, scaled.DRAFTBRIDGE_QUEUE_PREFIX);
    // Peak RSS from here on: the operations measured, not the seeding (its own process).
    rss.reset();
    progress(`seeded in ${seedS.toFixed(1)} s; verifying the whole chain`);

    // A first full run loads the scripts and warms the code up (and leaves the checkpoint); the second is measured.
    await ctx.audit.verify();
    const fullStart = performance.now();
    const cpuBefore = process.cpuUsage();
    const redisCpuBefore = await redisCpuSeconds(ctx);
    const full = await ctx.audit.verify();
    const fullMs = performance.now() - fullStart;
    const cpu = process.cpuUsage(cpuBefore);
    const fullCpuS = (cpu.user + cpu.system) / 1e6;
    const redisCpuS = (await redisCpuSeconds(ctx)) - redisCpuBefore;
    if (!full.ok) throw new Error(`scale: the seeded chain does not verify (${full.reason})`);

    // Events since the checkpoint the full run left, as a day's work adds them.
    for (let i = 0; i < options.sinceCheckpoint; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, options.sinceCheckpoint - i) }, (_, j) =>
          ctx.audit.append({
            type: 'crm.synced',
            requestId: `hs-scale-${i + j}`,
            actor: 'pipeline',
            outcome: 'ok',
            details: { state: 'sent' },
          }),
        ),
      );
    }
    const incStart = performance.now();
    const incremental = await ctx.audit.verify({ from: 'checkpoint' });
    const incrementalMs = performance.now() - incStart;
    if (!incremental.ok || incremental.checked < options.sinceCheckpoint)
      throw new Error('scale: the incremental verification did not cover the new events');
    progress(
      `verified: full ${full.checked} events in ${fullMs.toFixed(0)} ms, incremental ${incremental.checked} in ${incrementalMs.toFixed(0)} ms`,
    );

    // A restart: a new process context and ledger, then the page as its first visitor sees it.
    await ctx.close();
    ctx = createAppContext(scaled, policy);
    await ctx.ready();
    const ledger = new ReviewLedger(ctx.redis, ctx.audit, scaled.DRAFTBRIDGE_QUEUE_PREFIX);
    const firstStart = performance.now();
    await reviewView(ctx, ledger);
    const firstRenderMs = performance.now() - firstStart;
    const renders: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await reviewView(ctx, ledger);
      renders.push(performance.now() - t);
    }

    const deps = subjectRequestDeps(ctx);
    // Subjects spread over the whole history (old ones with audit events only, recent ones with records too).
    const pick = (i: number) =>
      history.contactId(
        Math.floor(((i + 0.5) * options.subjects) / (2 * options.samples + WARM_UP)) % options.subjects,
      );
    // A few requests first, not counted: the scripts get loaded and the code warm, as in a running service.
    for (let i = 0; i < WARM_UP; i++)
      await erasureRequest(deps, pick(2 * options.samples + i)).then(() => accessRequest(deps, pick(i)));
    await runRetention(ctx, { dryRun: true, actor: 'scale' });
    const access = await timed(options.samples, (i) => accessRequest(deps, pick(i)));
    const erasure = await timed(options.samples, (i) => erasureRequest(deps, pick(options.samples + i)));
    progress(`access p95 ${p(access, 0.95).toFixed(1)} ms, erasure p95 ${p(erasure, 0.95).toFixed(1)} ms`);

    // One day's expiry: the sweep as it runs tomorrow.
    const sweepStart = performance.now();
    const sweep = await runRetention(ctx, { now: Date.now() + DAY, actor: 'scale' });
    const sweepMs = performance.now() - sweepStart;
    progress(`retention sweep removed ${sweep.auditEvents} events in ${sweepMs.toFixed(0)} ms`);

    return {
      events: options.events,
      subjects: options.subjects,
      requests: options.requests,
      dsar_access_p95_ms: round(p(access, 0.95)),
      erasure_p95_ms: round(p(erasure, 0.95)),
      verify_incremental_ms: round(incrementalMs),
      verify_full_events_per_s: Math.round(full.checked / (fullMs / 1000)),
      verify_full_events_per_cpu_s: Math.round(full.checked / fullCpuS),
      verify_full_redis_cpu_s: round(redisCpuS),
      review_first_render_ms: round(firstRenderMs),
      review_render_p50_ms: round(p(renders, 0.5)),
      retention_sweep_ms: round(sweepMs),
      redis_bytes_per_request: Math.round(bytesPerRequest),
      redis_bytes_per_request_audit_class: Math.round(auditBytes / options.requests),
      rss_mb_peak: round(rss.stop() / 1048576),
      seed_s: round(seedS),
    };
  } finally {
    rss.stop();
    await ctx.close();
  }
}

/** Seeds in a child process (the same code, `seed-process.ts`), so this process's memory is the measured operations' own. */
async function seedInChild(settings: Settings, shape: HistoryShape): Promise<{ seedS: number }> {
  const script = new URL('./seed-process.ts', import.meta.url).pathname;
  const env = {
    ...process.env,
    REDIS_URL: settings.REDIS_URL,
    DRAFTBRIDGE_QUEUE_PREFIX: settings.DRAFTBRIDGE_QUEUE_PREFIX,
    DRAFTBRIDGE_POLICY: settings.DRAFTBRIDGE_POLICY,
  };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [script, String(shape.events), String(shape.requests), String(shape.subjects)],
    { env, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { seedS: number };
}

/** Bytes of every key kept for the audit class (MEMORY USAGE, each key by SCAN in batches). */
async function auditClassBytes(ctx: AppContext, prefix: string): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}:audit*`, 'COUNT', 2000);
    cursor = next;
    const pipeline = ctx.redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [, bytes] of (await pipeline.exec()) ?? []) total += Number(bytes ?? 0);
  } while (cursor !== '0');
  return total;
}

async function redisCpuSeconds(ctx: AppContext): Promise<number> {
  const info = await ctx.redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function usedMemory(ctx: AppContext): Promise<number> {
  const info = await ctx.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

function p(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Peak resident set size of this process, sampled every 50 ms. */
class RssSampler {
  private peak = process.memoryUsage.rss();
  reset(): void {
    this.peak = process.memoryUsage.rss();
  }
  private readonly timer = setInterval(() => {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }, 50);
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak;
  }
}

export function formatScale(r: ScaleResult): string {
  const rows = Object.keys(r)
    .filter((k) => !k.endsWith('_small'))
    .map(
      (k) =>
        `${k.padEnd(28)} ${String(r[k as keyof ScaleResult]).padStart(12)} ${String(r[`${k}_small` as keyof ScaleResult]).padStart(12)}`,
    );
  return [`${'figure'.padEnd(28)} ${'full'.padStart(12)} ${'a tenth'.padStart(12)}`, ...rows].join('\n');
}
