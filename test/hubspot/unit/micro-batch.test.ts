import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { microBatch } from '../../../connectors/micro-batch.ts';

/** The batching under the HubSpot connector: which calls share a batch call, and who gets which answer. */
describe('microBatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const settle = async <T>(p: Promise<T>) => {
    await vi.runAllTimersAsync();
    return p;
  };
  function recorder(answer: (key: number) => number | Error = (k) => k * 10) {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    let hold = false;
    const run = async (keys: readonly number[]) => {
      batches.push([...keys]);
      if (hold) await new Promise<void>((r) => (release = r));
      return keys.map(answer);
    };
    return {
      batches,
      run,
      holdNext: () => (hold = true),
      releaseHeld: () => {
        hold = false;
        release?.();
      },
    };
  }

  it('puts calls of the same turn into one batch and answers each caller its own value', async () => {
    const r = recorder();
    const load = microBatch(r.run, { maxBatchSize: 100 });
    expect(await settle(Promise.all([load(1), load(2), load(3)]))).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it('sends a lone call at once and collects the calls that arrive while it is in flight', async () => {
    const r = recorder();
    const load = microBatch(r.run, { maxBatchSize: 100 });
    r.holdNext();
    const first = load(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([[1]]);
    const later = [load(2), load(3)];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.batches).toHaveLength(1);
    r.releaseHeld();
    expect(await settle(Promise.all([first, ...later]))).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1], [2, 3]]);
  });

  it('splits at the batch limit and fails only the caller whose item failed', async () => {
    const r = recorder((k) => (k === 2 ? new Error('refused') : k));
    const load = microBatch(r.run, { maxBatchSize: 2 });
    const outcomes = await settle(Promise.allSettled([load(1), load(2), load(3)]));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.batches).toEqual([[1, 2], [3]]);
  });

  it('with a window, collects calls of different turns', async () => {
    const r = recorder();
    const load = microBatch(r.run, { maxBatchSize: 100, windowMs: 30 });
    const a = load(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(r.batches).toEqual([]);
    const b = load(2);
    expect(await settle(Promise.all([a, b]))).toEqual([10, 20]);
    expect(r.batches).toEqual([[1, 2]]);
  });
});
