import { afterAll, describe, expect, it } from 'vitest';
import { STAGES, startFloor, type FloorRunner } from '../../tools/bench/floor.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/env.ts';

// The bench's floor on real BullMQ and Redis: its latency phase reports one latency per request at
// each stage's end, and the stages end in order.
describe('bench floor', () => {
  const prefix = uniquePrefix('floor');
  let floor: FloorRunner | undefined;

  afterAll(async () => {
    await floor?.close();
    await deletePrefix(prefix);
  });

  it('paced requests each get a latency to the end of every stage', async () => {
    floor = await startFloor({
      redisUrl: REDIS_URL,
      prefix,
      stages: [1, 2, 2, 4],
      redisCount: () => ({ commands: 0, trips: 0 }),
    });
    // No vendor calls: the four stages alone.
    const plan = [[], [], [], []];
    await floor.warm(plan, 5);
    const latency = await floor.paced(plan, 12, 40);
    const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
    let before = 0;
    for (const stage of STAGES) {
      expect(latency[stage]).toHaveLength(12);
      for (const ms of latency[stage]) expect(ms).toBeGreaterThan(0);
      expect(sum(latency[stage])).toBeGreaterThanOrEqual(before);
      before = sum(latency[stage]);
    }
    // A measured window after it still counts only its own requests.
    const measured = await floor.measure(plan, 10);
    expect(measured.perSecond).toBeGreaterThan(0);
  });
});
