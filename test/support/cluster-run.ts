import { spawn } from 'node:child_process';
import { LocalRedisCluster } from './redis-cluster.ts';

/**
 * `.ci/cluster-tests`: starts a private three-master Redis Cluster, runs the vitest arguments given
 * (the integration project by default) with DRAFTBRIDGE_TEST_REDIS_URL pointing at it, stops it,
 * and exits with vitest's code.
 */
const args = process.argv.slice(2);
const started = Date.now();
const cluster = await LocalRedisCluster.start({ masters: 3 });
console.log(`cluster-tests: ${cluster.url} ready in ${Date.now() - started} ms`);
let code: number;
try {
  code = await new Promise<number>((resolve) => {
    const vitest = spawn('npx', ['vitest', 'run', ...(args.length > 0 ? args : ['--project', 'integration'])], {
      stdio: 'inherit',
      env: { ...process.env, DRAFTBRIDGE_TEST_REDIS_URL: cluster.url },
    });
    vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
} finally {
  await cluster.stop();
}
console.log(`cluster-tests: exit ${code} after ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(code);
