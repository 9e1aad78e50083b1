import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const KEYS = [
  'events',
  'subjects',
  'dsar_access_p95_ms',
  'erasure_p95_ms',
  'verify_incremental_ms',
  'verify_full_events_per_s',
  'review_first_render_ms',
  'review_render_p50_ms',
  'retention_sweep_ms',
  'redis_bytes_per_request',
  'rss_mb_peak',
];

// `npm run scale` at a tiny size, end to end: its own redis-server, the seeding child, every figure.
describe('draftbridge scale', () => {
  it(
    'seeds a small history and prints every figure, at the size and at a tenth',
    { timeout: 180_000 },
    async () => {
      const cli = new URL('../../bin/draftbridge.mjs', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          cli,
          'scale',
          '--json',
          '--events',
          '5000',
          '--requests',
          '500',
          '--subjects',
          '250',
          '--samples',
          '3',
          '--since-checkpoint',
          '200',
        ],
        { env: { ...process.env, LOG_LEVEL: 'warn' }, maxBuffer: 1 << 22 },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
      for (const key of KEYS) {
        for (const k of [key, `${key}_small`]) {
          expect(Number.isFinite(result[k]), k).toBe(true);
          expect(result[k], k).toBeGreaterThanOrEqual(0);
        }
      }
      expect(result).toMatchObject({ events: 5000, subjects: 250, events_small: 500, subjects_small: 25 });
      expect(result.verify_full_events_per_s).toBeGreaterThan(0);
      expect(result.redis_bytes_per_request).toBeGreaterThan(500);
      expect(result.rss_mb_peak).toBeGreaterThan(20);
    },
  );
});
