import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from '../../src/redis.ts';
import { runRetention } from '../../src/pipeline/retention.ts';
import { reviewView } from '../../src/http/review-page.ts';
import { ReviewLedger } from '../../src/ops/review-ledger.ts';
import { erasureRequest } from '../../src/privacy/subject-requests.ts';
import { objectionRequest } from '../../src/privacy/subject-requests.ts';
import { subjectRequestDeps } from '../../src/app.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const QUEUES = '(intake|draft|deliver|crm-sync|mail-events|privacy)';

/**
 * Keys that live without a TTL, each with what removes what it holds. Everything else the service
 * writes must carry a TTL. A new kind of key without either fails here.
 */
const WITHOUT_TTL: [RegExp, string][] = [
  [/^P:audit$/, 'the audit stream: the sweeper trims it by time (stream ids are times)'],
  [/^P:audit:links$/, 'trimmed with the stream'],
  [/^P:audit:subject-keys$/, 'swept by audit:subject-keys:used (time of last use)'],
  [/^P:audit:subject-keys:used$/, 'swept with the subject keys'],
  [/^P:audit:(head|anchor|anchor-id|checkpoint|verifications)$/, 'one per deployment'],
  [
    /^P:ops:(cursor|blocked|leak-guard|last:audit-verified|last:retention-run)$/,
    'one per deployment (counters per code)',
  ],
  [
    /^P:ops:(awaiting|dead-letters|dead-letter-info)$/,
    'swept by score past the request class, and on erasure',
  ],
  [/^P:suppressed$/, 'objections: kept until withdrawn'],
  [/^P:retention:(last|runs)$/, 'one per deployment'],
  [/^P:mailwatch:expiry$/, 'entries leave on renewal or removal of a subscription'],
  [
    new RegExp(
      `^P:${QUEUES}:(meta|id|events|stalled-check|marker|wait|paused|active|delayed|prioritized|pc|completed|failed|stalled|limiter|repeat|de)$`,
    ),
    "BullMQ's own: capped (events) or emptied as jobs move",
  ],
  [
    new RegExp(`^P:${QUEUES}:[^:]+$`),
    'BullMQ job hashes: removed by age (removeOnComplete/removeOnFail, the sweeper\u2019s clean)',
  ],
  [
    new RegExp(`^P:${QUEUES}:repeat:[^:]+(:\\d+)?$`),
    'BullMQ job schedulers (retention sweep, subscription renewal) and their next job',
  ],
];

describe('every key the service writes has a TTL or a sweep', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('after real traffic, erasure, objection, the review page and a sweep', async () => {
    const done: string[] = [];
    for (const contact of ['1001', '1002', '1003', '1004']) {
      const { requestId } = await h.deliverWebhook(contact);
      await h.waitForState(requestId, ['awaiting_review', 'blocked_sensitive', 'sent']);
      done.push(requestId);
    }
    for (const id of done) await h.waitForCrmNote(id).catch(() => undefined);
    const deps = subjectRequestDeps(h.ctx);
    await erasureRequest(deps, '1002');
    await objectionRequest(deps, '1003');
    const ledger = new ReviewLedger(h.ctx.redis, h.ctx.audit, h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
    await reviewView(h.ctx, ledger);
    await runRetention(h.ctx, { dryRun: false });
    await h.ctx.audit.verify({ from: 'checkpoint' });

    const prefix = h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    const keys = await scanKeys(h.ctx.redis, `${prefix}:*`);
    const untimed: string[] = [];
    for (const key of keys) {
      if ((await h.ctx.redis.pttl(key)) > 0) continue;
      const name = `P${key.slice(prefix.length)}`;
      if (!WITHOUT_TTL.some(([re]) => re.test(name))) untimed.push(name);
    }
    expect(untimed).toEqual([]);
    // The per-subject and per-request indexes are among the timed ones.
    expect(keys.some((k) => k.startsWith(`${prefix}:audit:subject:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${prefix}:audit:request:`))).toBe(true);

    // The swept ones empty out once their class has passed: a sweep two years on leaves only its own event.
    const later = Date.now() + 2 * 366 * 86_400_000;
    const report = await runRetention(h.ctx, { now: later });
    expect(report.subjectKeys).toBeGreaterThan(0);
    expect(report.reviewEntries).toBeGreaterThan(0);
    const r = h.ctx.redis;
    const k = (s: string) => `${prefix}:${s}`;
    expect((await h.ctx.audit.read()).map((e) => e.type)).toEqual(['retention.run']);
    expect(await r.hlen(k('audit:links'))).toBe(1);
    expect(await r.hlen(k('audit:subject-keys'))).toBe(0);
    expect(await r.zcard(k('audit:subject-keys:used'))).toBe(0);
    expect(await r.zcard(k('ops:awaiting'))).toBe(0);
    expect(await h.ctx.audit.verify()).toEqual({ ok: true, checked: 1 });
    // Every index entry went with its event; the keys' own TTLs end the emptied ones.
    for (const key of await scanKeys(r, `${prefix}:audit:request:*`)) expect(await r.zcard(key)).toBe(0);
  });
});
