import type { RedisClient } from '../redis.ts';
import { keysFor } from '../keys.ts';

/**
 * The suppression list (Art. 21 GDPR objections): subject references that never get a draft again.
 * Holds only the HMAC subject references the audit trail uses, never a name or address.
 */
export class SuppressionList {
  private readonly redis: RedisClient;
  private readonly key: string;

  constructor(redis: RedisClient, options: { prefix: string }) {
    this.redis = redis;
    this.key = keysFor(options.prefix).suppressed;
  }

  async has(subject: string): Promise<boolean> {
    return (await this.redis.sismember(this.key, subject)) === 1;
  }

  async add(subject: string): Promise<void> {
    await this.redis.sadd(this.key, subject);
  }
}
