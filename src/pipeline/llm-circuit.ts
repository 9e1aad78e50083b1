import type { Redis } from 'ioredis';

/**
 * A circuit breaker shared by all workers through Redis: after `threshold` consecutive LLM failures
 * on a route, the route is considered down for `openMs` and drafts go straight to the template
 * instead of each job waiting out its own timeouts.
 */
export class LlmCircuit {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(redis: Redis, options: { prefix: string; threshold?: number; openMs?: number }) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.threshold = options.threshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
  }

  async isOpen(route: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:circuit:${route}:open`)) === 1;
  }

  async recordFailure(route: string): Promise<void> {
    const key = `${this.prefix}:circuit:${route}:failures`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, this.openMs * 2).exec()) as [[null, number], unknown];
    if (count >= this.threshold) {
      await this.redis.multi().set(`${this.prefix}:circuit:${route}:open`, '1', 'PX', this.openMs).del(key).exec();
    }
  }

  async recordSuccess(route: string): Promise<void> {
    await this.redis.del(`${this.prefix}:circuit:${route}:failures`);
  }
}
