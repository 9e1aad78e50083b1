import { Counter, Gauge } from 'prom-client';
import type { AppContext } from '../app.ts';
import { registry } from '../metrics.ts';
import { QUEUE_NAMES } from '../pipeline/queues.ts';
import { DeadLetterCount } from './dead-letter-count.ts';
import { ReviewLedger } from './review-ledger.ts';

/**
 * The metrics the recommended alert rules watch (README, "Roles and sign-in"):
 * - draftbridge_dead_letters_total{queue}: jobs that arrived in the queue's failed set (attempts
 *   exhausted, unrecoverable or stalled too often), i.e. dead letters, read at scrape time
 *   (dead-letter-count.ts);
 * - draftbridge_reviews_overdue / draftbridge_reviews_awaiting / draftbridge_review_oldest_age_seconds:
 *   drafts waiting for their reviewer, against the policy's `mail.reviewMaxAge`;
 * - draftbridge_llm_circuit_open{route}: 1 while the shared LLM circuit breaker is open.
 * Labels are queue and route names only.
 */

interface AlertSource {
  read(): Promise<{
    awaiting: number;
    overdue: number;
    oldestAgeSeconds: number;
    circuits: Record<string, boolean>;
  }>;
  /** Dead letters per queue since the previous scrape. */
  deadLetters(): Promise<Record<string, number>>;
}
// Set by the running API process (like the queue counts in metrics.ts); read at scrape time.
let source: AlertSource | undefined;

async function current() {
  try {
    return source ? await source.read() : undefined;
  } catch {
    return undefined; // Redis down: the scrape still answers; readyz reports the outage.
  }
}

export const deadLetters = new Counter({
  name: 'draftbridge_dead_letters_total',
  help: 'Jobs that ended in the failed set (attempts exhausted, unrecoverable or stalled too often)',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    let fresh: Record<string, number> = {};
    try {
      fresh = source ? await source.deadLetters() : {};
    } catch {
      // Redis down: counted at the next scrape that reaches it.
    }
    for (const [queue, n] of Object.entries(fresh)) if (n > 0) this.inc({ queue }, n);
  },
});

export const reviewsAwaiting = new Gauge({
  name: 'draftbridge_reviews_awaiting',
  help: 'Drafts waiting in a mailbox for their reviewer',
  registers: [registry],
  async collect() {
    const c = await current();
    if (c) this.set(c.awaiting);
  },
});

export const reviewsOverdue = new Gauge({
  name: 'draftbridge_reviews_overdue',
  help: "Drafts waiting for review longer than the policy's mail.reviewMaxAge",
  registers: [registry],
  async collect() {
    const c = await current();
    if (c) this.set(c.overdue);
  },
});

export const reviewOldestAge = new Gauge({
  name: 'draftbridge_review_oldest_age_seconds',
  help: 'Age of the oldest draft waiting for review (0 when none waits)',
  registers: [registry],
  async collect() {
    const c = await current();
    if (c) this.set(c.oldestAgeSeconds);
  },
});

export const llmCircuitOpen = new Gauge({
  name: 'draftbridge_llm_circuit_open',
  help: 'LLM circuit breaker per route: 1 open (drafts fall back to the template), 0 closed',
  labelNames: ['route'] as const,
  registers: [registry],
  async collect() {
    const c = await current();
    if (!c) return;
    for (const [route, open] of Object.entries(c.circuits)) this.set({ route }, open ? 1 : 0);
  },
});

const LLM_ROUTES = ['eu', 'local'] as const;

export interface AlertWatch {
  close(): Promise<void>;
}

/** Serves the alert metrics from Redis at scrape time. */
export function startAlertWatch(ctx: AppContext): AlertWatch {
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const stages = QUEUE_NAMES.filter((q) => q !== 'mail-events');
  const counts = stages.map((name) => ({
    name,
    count: new DeadLetterCount(ctx.redis, ctx.queues[name].toKey('failed')),
  }));
  for (const name of stages) deadLetters.inc({ queue: name }, 0);
  // The first read marks what failed before this process started; later scrapes count what is new.
  void Promise.all(counts.map((c) => c.count.newSince())).catch(() => undefined);
  const ledger = new ReviewLedger(ctx.redis, ctx.audit, prefix);
  const mine: AlertSource = {
    async read() {
      const now = Date.now();
      await ledger.catchUp();
      const stats = await ledger.awaitingStats(ctx.policy.mail.reviewMaxAge, now);
      const open = await Promise.all(
        LLM_ROUTES.map((route) => ctx.redis.exists(`${prefix}:circuit:${route}:open`)),
      );
      return {
        awaiting: stats.awaiting,
        overdue: stats.overdue,
        oldestAgeSeconds:
          stats.oldestSince === null ? 0 : Math.max(0, Math.round((now - stats.oldestSince) / 1000)),
        circuits: Object.fromEntries(LLM_ROUTES.map((r, i) => [r, open[i] === 1])),
      };
    },
    async deadLetters() {
      const fresh = await Promise.all(counts.map((c) => c.count.newSince()));
      return Object.fromEntries(counts.map((c, i) => [c.name, fresh[i]!]));
    },
  };
  source = mine;
  return {
    async close() {
      if (source === mine) source = undefined;
    },
  };
}
