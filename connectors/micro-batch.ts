import DataLoader from 'dataloader';

/**
 * Turns single calls into batch calls when several wait at once (DataLoader underneath). A call
 * goes out at once when nothing of its kind is in flight (no added latency at low load); calls that
 * arrive while a batch is in flight collect into the next one, up to `maxBatchSize` (the vendor's
 * batch limit). So batches grow with load and with the vendor's latency, by themselves.
 *
 * `run` answers one value or Error per key, in key order: an Error fails that caller only.
 */
export interface MicroBatchOptions {
  maxBatchSize: number;
  /** Batches in flight at once (default 1: the most batching; the rate budget is per call anyway). */
  maxInFlight?: number;
}

export function microBatch<K, V>(run: (keys: readonly K[]) => Promise<readonly (V | Error)[]>, options: MicroBatchOptions): (key: K) => Promise<V> {
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
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
        // setImmediate: callers in the same turn of the event loop join the batch.
        setImmediate(() => (inFlight < maxInFlight ? go() : waiting.push(go)));
      },
    },
  );
  return (key) => loader.load(key);
}
