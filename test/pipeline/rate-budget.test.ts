import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateBudgetSpec } from '../../src/ports.ts';
import { RedisRateBudget } from '../../src/rate-budget.ts';
import type { RedisClient } from '../../src/redis.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../support/env.ts';

// Two connections stand for two draftbridge processes: each has its own RedisRateBudget, they share
// nothing but Redis. Waits are read from the bookings (Redis server time), never slept or timed.
describe('RedisRateBudget: one provider quota shared across processes', () => {
  const prefix = uniquePrefix('budget');
  let a: RedisClient;
  let b: RedisClient;
  let one: RedisRateBudget;
  let two: RedisRateBudget;
  beforeAll(async () => {
    [a, b] = await Promise.all([testRedis(), testRedis()]);
    one = new RedisRateBudget(a, { prefix });
    two = new RedisRateBudget(b, { prefix });
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    a.disconnect();
    b.disconnect();
  });

  it("counts both processes' calls against one request window and books the next in line after it", async () => {
    const spec: RateBudgetSpec = {
      name: 'hubspot-shared',
      rules: [{ windowMs: 10_000, maxCount: 4 }],
      marginMs: 50,
    };
    const grants = [];
    for (let i = 0; i < 4; i++) grants.push(await (i % 2 === 0 ? one : two).reserve(spec, 1, 60_000));
    expect(grants.every((g) => g.granted && g.waitMs === 0)).toBe(true);
    // The fifth call, from either process, waits for the first booking to leave the window.
    const before = performance.now();
    const fifth = await two.reserve(spec, 1, 60_000);
    const sixth = await one.reserve(spec, 1, 60_000);
    const between = performance.now() - before;
    expect(fifth.granted && sixth.granted).toBe(true);
    expect(fifth.waitMs).toBeGreaterThan(9_000);
    expect(fifth.waitMs).toBeLessThanOrEqual(10_050);
    // First come, first served: the sixth is booked no earlier than the fifth (waits count from each
    // call's own now, so allow for the time between the two calls).
    expect(sixth.waitMs).toBeGreaterThanOrEqual(fifth.waitMs - Math.ceil(between) - 1);
    // A caller that will not wait that long gets no booking (and takes nothing from the window).
    const refused = await one.reserve(spec, 1, 1_000);
    expect(refused).toMatchObject({ granted: false });
    expect(refused.waitMs).toBeGreaterThan(9_000);
  });

  it("weighs LLM bookings in tokens, shared, and frees what the answer's usage corrects", async () => {
    const spec: RateBudgetSpec = {
      name: 'llm-shared',
      rules: [{ windowMs: 60_000, maxCount: 100, maxWeight: 1_000 }],
      marginMs: 0,
    };
    const first = await one.reserve(spec, 600, 60_000);
    expect(first).toMatchObject({ granted: true, waitMs: 0 });
    // The other process's 600 do not fit beside the first 600 within the minute.
    const blocked = await two.reserve(spec, 600, 100);
    expect(blocked.granted).toBe(false);
    expect(blocked.waitMs).toBeGreaterThan(50_000);
    // The answer says 300 were counted: now 600 more fit at once, from the other process.
    if (!first.granted) throw new Error('unreachable');
    await one.settle(first.ticket, { weight: 300 });
    expect(await two.reserve(spec, 600, 100)).toMatchObject({ granted: true, waitMs: 0 });
    expect((await one.reserve(spec, 200, 100)).granted).toBe(false);
  });

  it('holds a short window beside the minute (RPM enforced per 10 s) and lets a call heavier than the window go alone', async () => {
    const spec: RateBudgetSpec = {
      name: 'llm-rpm',
      rules: [
        { windowMs: 60_000, maxCount: 12, maxWeight: 10_000 },
        { windowMs: 10_000, maxCount: 2 },
      ],
      marginMs: 0,
    };
    expect((await one.reserve(spec, 10, 60_000)).waitMs).toBe(0);
    expect((await two.reserve(spec, 10, 60_000)).waitMs).toBe(0);
    const third = await one.reserve(spec, 10, 60_000);
    expect(third.waitMs).toBeGreaterThan(9_000);
    expect(third.waitMs).toBeLessThanOrEqual(10_000);
    const heavy: RateBudgetSpec = {
      name: 'llm-heavy',
      rules: [{ windowMs: 60_000, maxWeight: 100 }],
      marginMs: 0,
    };
    expect(await two.reserve(heavy, 500, 0)).toMatchObject({ granted: true, waitMs: 0 });
    expect((await one.reserve(heavy, 1, 0)).granted).toBe(false);
  });

  it('lets many concurrent callers from both processes book distinct slots without exceeding the window', async () => {
    const spec: RateBudgetSpec = { name: 'burst', rules: [{ windowMs: 10_000, maxCount: 5 }], marginMs: 0 };
    const grants = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).reserve(spec, 1, 60_000)),
    );
    const waits = grants.map((g) => g.waitMs).sort((x, y) => x - y);
    expect(waits.filter((w) => w < 1_000)).toHaveLength(5);
    expect(waits.filter((w) => w >= 9_000 && w < 11_000)).toHaveLength(5);
    expect(waits.filter((w) => w >= 19_000)).toHaveLength(2);
  });

  it('restamps a booking that went out late, so the next one counts from when it really went', async () => {
    const spec: RateBudgetSpec = { name: 'restamp', rules: [{ windowMs: 10_000, maxCount: 1 }], marginMs: 0 };
    const late = await one.reserve(spec, 1, 60_000);
    if (!late.granted) throw new Error('unreachable');
    // The call leaves 300 ms after its slot (a busy process); its answer restamps the booking.
    await new Promise((r) => setTimeout(r, 300));
    await one.settle(late.ticket, { restamp: true });
    const next = await two.reserve(spec, 1, 60_000);
    // Counted from the booked time it would wait about 9.7 s; from the restamp, the full 10 s.
    expect(next.waitMs).toBeGreaterThan(9_900);
  });

  it('releases a booking the provider refused, so its slot is free again', async () => {
    const spec: RateBudgetSpec = { name: 'release', rules: [{ windowMs: 10_000, maxCount: 1 }], marginMs: 0 };
    const refused = await one.reserve(spec, 1, 60_000);
    if (!refused.granted) throw new Error('unreachable');
    expect((await two.reserve(spec, 1, 0)).granted).toBe(false);
    await one.release(refused.ticket);
    expect(await two.reserve(spec, 1, 0)).toMatchObject({ granted: true, waitMs: 0 });
  });
});
