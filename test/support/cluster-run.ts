import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { isClusterUrl } from '../../src/redis.ts';
import { LocalRedisCluster } from './redis-cluster.ts';

/**
 * `.ci/cluster-tests`: starts a private three-master Redis Cluster, runs the vitest arguments given
 * (the integration project by default) with DRAFTBRIDGE_TEST_REDIS_URL pointing at it, stops it,
 * and exits with vitest's code. A suite that ignores that URL (a child process started without it,
 * say) would pass against the single Redis and prove nothing about the cluster: its hash-tagged test
 * prefix, which only cluster runs use, then shows up on the single Redis, and the run fails naming it.
 */
const args = process.argv.slice(2);
const started = Date.now();
const singleUrl =
  process.env.REDIS_URL && !isClusterUrl(process.env.REDIS_URL)
    ? process.env.REDIS_URL
    : 'redis://127.0.0.1:6379';
const taggedBefore = await taggedTestPrefixes(singleUrl);
const cluster = await LocalRedisCluster.start({ masters: 3 });
console.log(`cluster-tests: ${cluster.url} ready in ${Date.now() - started} ms`);
const vitest = spawn('npx', ['vitest', 'run', ...(args.length > 0 ? args : ['--project', 'integration'])], {
  stdio: 'inherit',
  env: { ...process.env, DRAFTBRIDGE_TEST_REDIS_URL: cluster.url },
  // Its own process group, so an interrupted run can stop vitest and its workers together.
  detached: true,
});
// Interrupted (Ctrl-C, a CI timeout): stop vitest and the nodes rather than leave them running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    try {
      process.kill(-vitest.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    void cluster.stop().finally(() => process.exit(130));
  });
}
let code: number;
try {
  code = await new Promise<number>((resolve) =>
    vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
} finally {
  await cluster.stop();
}
const taggedAfter = await taggedTestPrefixes(singleUrl, true);
const strays = taggedBefore && taggedAfter ? [...taggedAfter].filter((p) => !taggedBefore.has(p)) : [];
if (strays.length > 0) {
  console.error(
    `cluster-tests: these test prefixes were written to the single Redis at ${singleUrl}, not to the cluster (keys removed): ${strays.join(', ')}`,
  );
  code = code || 1;
}
console.log(`cluster-tests: exit ${code} after ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(code);

/**
 * The hash-tagged test prefixes (`{dbtest-...}`) on the single Redis, or null when none answers.
 * With `removeNew`, keys of prefixes not seen before the run are deleted (they are this run's).
 */
async function taggedTestPrefixes(url: string, removeNew = false): Promise<Set<string> | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    return null;
  }
  try {
    const prefixes = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '{dbtest-*', 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const tag = /^\{[^}]*\}/.exec(key)?.[0];
        if (!tag) continue;
        prefixes.add(tag);
        if (removeNew && taggedBefore && !taggedBefore.has(tag)) await redis.unlink(key);
      }
    } while (cursor !== '0');
    return prefixes;
  } finally {
    redis.disconnect();
  }
}
