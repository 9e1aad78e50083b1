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

  constructor(redis: RedisClient, options: { prefix: string; threshold?: number; openMs?: number }) {
    this.redis = redis;
    this.keys = keysFor(options.prefix);
    this.threshold = options.threshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
  }

  async isOpen(route: LlmRouteName): Promise<boolean> {
    return (await this.redis.exists(this.keys.circuit(route).open)) === 1;
  }

  async recordFailure(route: LlmRouteName): Promise<void> {
    const keys = this.keys.circuit(route);
    // One round trip: the counter and its expiry are set together.
    const replies = await this.redis.multi().incr(keys.failures).pexpire(keys.failures, this.openMs * 2).exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    if (count >= this.threshold) {
      await this.redis.multi().set(keys.open, '1', 'PX', this.openMs).del(keys.failures).exec();
    }
  }

  async recordSuccess(route: LlmRouteName): Promise<void> {
    await this.redis.del(this.keys.circuit(route).failures);
  }
}
