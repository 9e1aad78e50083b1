import type { RedisClient } from '../redis.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import type { LlmRouteName } from '../ports.ts';

/**
 * A circuit breaker shared by all workers through Redis: after `threshold` consecutive LLM failures
 * on a route, the route is considered down for `openMs` and drafts go straight to the template
 * instead of each job waiting out its own timeouts.
 */
export class LlmCircuit {
  private readonly redis: RedisClient;
  private readonly keys: DraftbridgeKeys;
  private readonly threshold: number;
  private readonly openMs: number;
  /**
   * Per route, whether failures may be counted (seen by the last check or recorded here), so a
   * success costs a DEL only then: the common case (no failures) is one read per draft.
   */
  private readonly mayHaveFailures = new Map<LlmRouteName, boolean>();

  constructor(redis: RedisClient, options: { prefix: string; threshold?: number; openMs?: number }) {
    this.redis = redis;
    this.keys = keysFor(options.prefix);
    this.threshold = options.threshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
  }

  async isOpen(route: LlmRouteName): Promise<boolean> {
    const keys = this.keys.circuit(route);
    const [open, failures] = await this.redis.mget(keys.open, keys.failures);
    if (failures !== null) this.mayHaveFailures.set(route, true);
    else if (!this.mayHaveFailures.has(route)) this.mayHaveFailures.set(route, false);
    return open !== null;
  }

  async recordFailure(route: LlmRouteName): Promise<void> {
    const keys = this.keys.circuit(route);
    this.mayHaveFailures.set(route, true);
    // One round trip: the counter and its expiry are set together.
    const replies = await this.redis
      .multi()
      .incr(keys.failures)
      .pexpire(keys.failures, this.openMs * 2)
      .exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    if (count >= this.threshold) {
      await this.redis.multi().set(keys.open, '1', 'PX', this.openMs).del(keys.failures).exec();
    }
  }

  /**
   * Resets the count of consecutive failures. Skipped when this process saw none on its last check
   * and recorded none since (a failure another process records during this call's flight is then
   * reset by that process's next success instead).
   */
  async recordSuccess(route: LlmRouteName): Promise<void> {
    if (this.mayHaveFailures.get(route) === false) return;
    this.mayHaveFailures.set(route, false);
    await this.redis.del(this.keys.circuit(route).failures);
  }
}
