import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../src/pipeline/retention.ts';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { registry } from '../../src/metrics.ts';
import { privacyQueueFor, RETENTION_SCHEDULER } from '../../src/pipeline/privacy-jobs.ts';
import { createRedis } from '../../src/redis.ts';
import { startPrivacyWorker } from '../../workers/privacy.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';

const YEAR_AND_A_DAY = 366 * 86_400_000;

describe('retention sweeper', () => {
  let ctx: AppContext;
  beforeAll(async () => {
    const policy = defaultPolicy();
    ctx = createAppContext(testSettings(), {
      ...policy,
      privacy: { ...policy.privacy, retentionSweepEvery: 60_000 },
    });
    await ctx.ready();
  });
  afterAll(async () => {
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await ctx.close();
    await deletePrefix(prefix);
  });

  it('a dry run counts what would go and deletes nothing; a real run deletes it; both are audited and on /metrics', async () => {
    for (let i = 0; i < 3; i++) await ctx.audit.append({ type: 'test.event', actor: 'test', outcome: 'ok' });
    const later = Date.now() + YEAR_AND_A_DAY;
    const dry = await runRetention(ctx, { dryRun: true, now: later });
    expect(dry.dryRun).toBe(true);
    expect(dry.auditEvents).toBe(3);
    expect((await ctx.audit.read()).map((e) => e.type)).toEqual([
      'test.event',
      'test.event',
      'test.event',
      'retention.run',
    ]);
    expect((await ctx.audit.read()).at(-1)).toMatchObject({
      outcome: 'dry_run',
      details: { dryRun: true, auditRemoved: 3 },
    });
    expect(await registry.getSingleMetricAsString('draftbridge_retention_runs')).toMatch(
      /draftbridge_retention_runs\{mode="dry_run"\} 1/,
    );

    const real = await runRetention(ctx, { now: later });
    expect(real.auditEvents).toBe(4);
    expect((await ctx.audit.read()).map((e) => e.type)).toEqual(['retention.run']);
    expect(await ctx.audit.verify()).toMatchObject({ ok: true });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/draftbridge_retention_runs\{mode="run"\} 1/);
    expect(metrics).toMatch(/draftbridge_retention_last_removed 4/);
    expect(metrics).toMatch(/draftbridge_retention_last_run_timestamp_seconds \d+/);
  });

  it('runs by itself as a BullMQ job scheduler at the policy interval', async () => {
    const connection = createRedis(ctx.settings.REDIS_URL, 'worker');
    const worker = await startPrivacyWorker(ctx, connection);
    try {
      const scheduler = await privacyQueueFor(ctx).getJobScheduler(RETENTION_SCHEDULER);
      expect(scheduler).toMatchObject({ every: 60_000 });
      const byScheduler = async () =>
        (await ctx.audit.read()).filter((e) => e.type === 'retention.run' && e.actor === 'scheduler');
      for (let i = 0; i < 200 && (await byScheduler()).length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await byScheduler()).toHaveLength(1);
    } finally {
      await worker.close();
      await privacyQueueFor(ctx).close();
      connection.disconnect();
    }
  });
});
