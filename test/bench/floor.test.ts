import { afterAll, describe, expect, it } from 'vitest';
import { startFloor, type FloorRunner } from '../../src/bench/floor.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/env.ts';

// The bench's floor on real BullMQ and Redis: its latency phase reports one latency per request at
// each point, the draft (third stage done) never after the end (last stage done).
describe('bench floor', () => {
  const prefix = uniquePrefix('floor');
  let floor: FloorRunner | undefined;

  afterAll(async () => {
    await floor?.close();
    await deletePrefix(prefix);
  });

  it('paced requests each get a latency to the draft and to the end', async () => {
    floor = await startFloor({ redisUrl: REDIS_URL, prefix, stages: [1, 2, 2, 4], redisCount: () => ({ commands: 0, trips: 0 }) });
    // No vendor calls: the four stages alone.
    const plan = [[], [], [], []];
    await floor.warm(plan, 5);
    const latency = await floor.paced(plan, 12, 40);
    expect(latency.draft).toHaveLength(12);
    expect(latency.done).toHaveLength(12);
    for (const ms of [...latency.draft, ...latency.done]) expect(ms).toBeGreaterThan(0);
    const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
    expect(sum(latency.done)).toBeGreaterThanOrEqual(sum(latency.draft));
    // A measured window after it still counts only its own requests.
    const measured = await floor.measure(plan, 10);
    expect(measured.perSecond).toBeGreaterThan(0);
  });
});
