import { afterEach, describe, expect, it, vi } from 'vitest';
import { LatencyLog, paced, percentile } from '../../../tools/bench/latency.ts';

describe('bench latency helpers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('percentile is the nearest rank, whatever the input order', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile(values, 100)).toBe(20);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNaN();
    expect(values[0]).toBe(20); // the input is not sorted in place
  });

  it('a log counts only requests it started, under their later key too', () => {
    const log = new LatencyLog(['draft', 'done'] as const);
    log.start('event-1', 100);
    log.alias('event-1', 'request-1');
    log.alias('event-unknown', 'request-2');
    log.reached('draft', 'request-1', 130);
    log.reached('done', 'request-1', 250);
    log.reached('draft', 'request-2', 140); // never started: the warm-up's, say
    expect(log.ms).toEqual({ draft: [30], done: [150] });
  });

  it('paces starts on a fixed schedule without waiting for earlier sends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const t0 = performance.now();
    const startedAt: number[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const run = paced(4, 10, async (i) => {
      startedAt.push(performance.now() - t0);
      if (i === 0) await firstHeld; // a slow first request must not hold back the others
      if (i === 3) releaseFirst();
    });
    await vi.advanceTimersByTimeAsync(400);
    await run;
    expect(startedAt).toEqual([0, 100, 200, 300]);
  });
});
