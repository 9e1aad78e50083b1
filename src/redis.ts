import { readFileSync } from 'node:fs';
import { errorMessage } from './errors.ts';
import { createHash } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Redis connections. `rediss://` URLs get TLS (Azure Cache for Redis requires it); the URL's
 * user/password are used as ACL credentials. `redis+cluster://host:port,host:port` (or
 * `rediss+cluster://`) connects to a Redis Cluster through those seed nodes: every role becomes an
 * ioredis Cluster with the same failure semantics as a single node.
 *
 * - `worker` connections block (BullMQ workers) and must retry forever: maxRetriesPerRequest null.
 * - `producer` connections (the webhook intake) must fail fast while Redis is down, so the HTTP
 *   answer is a 503 and HubSpot retries later: no offline queue, one retry per request.
 * - `store` connections (the workers' own data) ride out a short outage instead.
 */
export type ConnectionRole = 'worker' | 'producer' | 'store';

/** A connection to one Redis or to a Redis Cluster; everything that only sends commands takes either. */
export type RedisClient = Redis | Cluster;

export function redisOptions(role: ConnectionRole): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 5_000,
    // Reconnect with a capped backoff; never give up (a managed Redis fails over in seconds).
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  if (role === 'worker') return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  // Workers' own reads and writes (vault, request records, audit): wait out a failover rather than fail
  // the job, and no per-command timer (measurable on the hot path); BullMQ's lock covers a hung Redis.
  // Auto-pipelining: commands the concurrent jobs issue in the same tick go out in one write (socket
  // writes were the largest single CPU item of the bench profile); order per connection is kept.
  if (role === 'store') return { ...common, maxRetriesPerRequest: 20, enableAutoPipelining: true };
  return { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 3_000 };
}

/** The parts of a `redis+cluster://` / `rediss+cluster://` URL. */
export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/;

export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/** Parses a cluster URL; null when it is not one or is malformed (settings validation reports that). */
export function parseClusterUrl(url: string): ClusterUrl | null {
  const m = CLUSTER_URL.exec(url);
  if (!m) return null;
  const [, scheme, auth, hosts] = m;
  const nodes: { host: string; port: number }[] = [];
  for (const part of hosts!.split(',')) {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part.trim());
    if (!hp) return null;
    const port = Number(hp[2] ?? 6379);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
    nodes.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port });
  }
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    const user = colon === -1 ? auth : auth.slice(0, colon);
    username = user ? decodeURIComponent(user) : undefined;
    password = colon === -1 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  }
  return { nodes, username, password, tls: scheme === 'rediss' };
}

/**
 * Cluster options per role. The role's per-node options go in `redisOptions` (BullMQ reads
 * maxRetriesPerRequest there); the offline queue and retry strategy are the Cluster's own. During a
 * failover the cluster answers CLUSTERDOWN/TRYAGAIN or a node vanishes: the cluster client retries
 * those after a short delay, which together with maxRetriesPerRequest rides the failover out.
 */
export function clusterOptions(role: ConnectionRole, parsed: ClusterUrl, name: string): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, ...node } = redisOptions(role);
  const firstHost = parsed.nodes[0]!.host;
  const hostIsName = !/^[\d.]+$/.test(firstHost) && !firstHost.includes(':');
  return {
    clusterRetryStrategy: retryStrategy ?? null,
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableReadyCheck: true,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    // The producer fails fast here too: with ioredis' 16 redirections a command to a dead master's
    // slot retried until its 3 s timeout, twice per webhook (dedupe look-up, enqueue), so the 503
    // came after HubSpot's 5 s limit. A few quick tries still follow MOVED after a slot moved.
    ...(role === 'producer'
      ? {
          maxRedirections: 3,
          retryDelayOnFailover: 100,
          retryDelayOnClusterDown: 100,
          retryDelayOnTryAgain: 100,
        }
      : {}),
    // Managed clusters (Azure OSS cluster policy, ElastiCache) announce nodes by IP or internal name:
    // with TLS keep the names as given and check certificates against the seed host's name.
    ...(parsed.tls
      ? {
          dnsLookup: (address: string, callback: (err: Error | null, address: string) => void) =>
            callback(null, address),
        }
      : {}),
    redisOptions: {
      ...node,
      connectionName: name,
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: hostIsName ? { servername: firstHost } : {} } : {}),
    },
  };
}

export function createRedis(url: string, role: ConnectionRole, name = `draftbridge-${role}`): RedisClient {
  const parsed = parseClusterUrl(url);
  if (parsed) return new Cluster(parsed.nodes, clusterOptions(role, parsed, name));
  if (isClusterUrl(url))
    throw new Error('REDIS_URL: malformed cluster URL (redis+cluster://host:port,host:port)');
  return new Redis(url, { ...redisOptions(role), connectionName: name, lazyConnect: false });
}

/** The nodes to run a whole-keyspace command on (SCAN): every master of a cluster, or the one Redis. */
export function keyspaceNodes(redis: RedisClient): Redis[] {
  if (!(redis instanceof Cluster)) return [redis];
  const masters = redis.nodes('master');
  // Before the first slot map (still connecting) the list is empty: a scan over it would find
  // nothing and an erasure would quietly skip keys, so that is an error the caller retries.
  if (masters.length === 0) throw new Error(`Redis Cluster has no known master yet (status ${redis.status})`);
  return masters;
}

/**
 * Every key matching a glob pattern, by SCAN (never KEYS) on every master of a cluster. A cluster
 * client's own `scan` goes to one node only, which holds a third of the keyspace (or none of a
 * prefix's keys); the keys found are addressed through the client as usual.
 */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of keyspaceNodes(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
  }
  return found;
}

/**
 * Deletes every key under a prefix with SCAN (never KEYS), on every master of a cluster; each node
 * unlinks the keys it holds. For tests and the bench, which own their prefix.
 */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<void> {
  for (const node of keyspaceNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await node.unlink(...keys);
    } while (cursor !== '0');
  }
}

/** Waits until the connection is ready (or throws after `timeoutMs`). */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5_000): Promise<void> {
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
 * text with every call; a Redis that lost its script cache (restart, failover) gets it again. On a
 * cluster both EVALSHA and the EVAL fallback are routed by the keys' slot, so the fallback reaches
 * the very node that answered NOSCRIPT (each node caches scripts for itself; a promoted replica
 * starts without them). Every script's keys must share one slot: they all start with the hash-tagged
 * queue prefix.
 */
export class RedisScript {
  readonly lua: string;
  readonly sha: string;
  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** A script kept in its own .lua file beside the module (its KEYS and ARGV described at its top). */
  static fromFile(url: URL): RedisScript {
    return new RedisScript(readFileSync(url, 'utf8'));
  }

  async run(redis: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!errorMessage(err).includes('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
