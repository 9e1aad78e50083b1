import DataLoader from 'dataloader';

/**
 * Turns single calls into batch calls when several wait at once (DataLoader underneath). A batch
 * collects for `windowMs` after its first call (0: only the calls of the same event-loop turn), then
 * goes out unless one of its kind is still in flight: calls keep collecting until that one is back,
 * up to `maxBatchSize` (the vendor's batch limit). So batches grow with
 * load, with the vendor's latency and while a rate budget holds a call back, by themselves.
 *
 * `run` answers one value or Error per key, in key order: an Error fails that caller only.
 */
export interface MicroBatchOptions {
  maxBatchSize: number;
  /** Batches in flight at once (default 1: the most batching; the rate budget is per call anyway). */
  maxInFlight?: number;
  /** How long a batch collects before it goes (default 0). What it adds to each call's latency at low load. */
  windowMs?: number;
}

export function microBatch<K, V>(
  run: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options: MicroBatchOptions,
): (key: K) => Promise<V> {
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const windowMs = Math.max(0, options.windowMs ?? 0);
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const loader = new DataLoader<K, V, K>(
    async (keys) => {
      try {
        return await run(keys);
      } finally {
        inFlight--;
        waiting.shift()?.();
      }
    },
    {
      // Not a cache: every call is its own request (a repeated read must see fresh data).
      cache: false,
      maxBatchSize: options.maxBatchSize,
      batchScheduleFn: (dispatch) => {
        const go = () => {
          inFlight++;
          dispatch();
        };
        const ready = () => (inFlight < maxInFlight ? go() : waiting.push(go));
        // setImmediate: at least the callers of the same turn of the event loop join the batch.
        if (windowMs > 0) setTimeout(ready, windowMs);
        else setImmediate(ready);
      },
    },
  );
  return (key) => loader.load(key);
}
