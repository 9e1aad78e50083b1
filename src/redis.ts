import { errorMessage } from './errors.ts';
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. `rediss://` URLs get TLS (Azure Cache for Redis requires it); the URL's
 * user/password are used as ACL credentials.
 *
 * - `worker` connections block (BullMQ workers) and must retry forever: maxRetriesPerRequest null.
 * - `producer` connections (the webhook intake) must fail fast while Redis is down, so the HTTP
 *   answer is a 503 and HubSpot retries later: no offline queue, one retry per request.
 * - `store` connections (the workers' own data) ride out a short outage instead.
 */
export type ConnectionRole = 'worker' | 'producer' | 'store';

export function redisOptions(role: ConnectionRole): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 5_000,
    // Reconnect with a capped backoff; never give up (a managed Redis fails over in seconds).
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  if (role === 'worker') return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  // Workers' own reads and writes (vault, request records, audit): wait out a failover rather than fail
  // the job, and no per-command timer (measurable on the hot path); BullMQ's lock covers a hung Redis.
  if (role === 'store') return { ...common, maxRetriesPerRequest: 20 };
  return { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 3_000 };
}

export function createRedis(url: string, role: ConnectionRole, name = `draftbridge-${role}`): Redis {
  return new Redis(url, { ...redisOptions(role), connectionName: name, lazyConnect: false });
}

/** Waits until the connection is ready (or throws after `timeoutMs`). */
export async function waitForRedis(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * A Lua script sent once and then called by its SHA (EVALSHA), so hot paths do not ship the script
 * text with every call; a Redis that lost its script cache (restart, failover) gets it again.
 */
export class RedisScript {
  readonly lua: string;
  readonly sha: string;
  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!errorMessage(err).includes('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
