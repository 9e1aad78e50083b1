/**
 * Latency at a steady low rate: what a rep waits for when the service is not busy, as opposed to the
 * throughput windows, where every request queues behind the others.
 */

/** The p-th percentile (nearest rank, 0 < p ≤ 100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Starts `send(i)` for i < count at `perSecond`, on a fixed schedule: a start that comes late does
 * not push the later ones back (an open arrival process, as webhooks arrive). Resolves when every
 * send has.
 */
export async function paced(
  count: number,
  perSecond: number,
  send: (i: number) => Promise<void>,
): Promise<void> {
  const interval = 1000 / perSecond;
  const t0 = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(send(i));
  }
  await Promise.all(sends);
}

/** Latencies (ms) from each request's start to the points of the flow it reaches, by request key. */
export class LatencyLog<P extends string> {
  private readonly started = new Map<string, number>();
  readonly ms: Record<P, number[]>;

  constructor(points: readonly P[]) {
    this.ms = Object.fromEntries(points.map((p) => [p, []])) as unknown as Record<P, number[]>;
  }

  start(key: string, at = performance.now()): void {
    this.started.set(key, at);
  }

  /** The request started as `from` is known as `to` from here on (a webhook's event id, then its request id). */
  alias(from: string, to: string): void {
    const t = this.started.get(from);
    if (t !== undefined) this.started.set(to, t);
  }

  /** Records the latency of `key` at `point` (nothing for a key never started: not a measured request). */
  reached(point: P, key: string, at = performance.now()): void {
    const t = this.started.get(key);
    if (t !== undefined) this.ms[point].push(at - t);
  }

  /** Waits (up to `timeoutMs`) until `count` requests reached `point`. */
  async settled(point: P, count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.ms[point].length < count) {
      if (performance.now() > deadline)
        throw new Error(`${this.ms[point].length} of ${count} requests reached ${point} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
