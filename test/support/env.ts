import { randomBytes, randomUUID } from 'node:crypto';
import { parsePolicy, type Policy } from '../../src/policy.ts';
import { loadSettings, type Settings } from '../../src/settings.ts';
import { readFileSync } from 'node:fs';
import {
  createRedis,
  deleteKeysWithPrefix,
  isClusterUrl,
  waitForRedis,
  type RedisClient,
} from '../../src/redis.ts';

/**
 * The Redis the integration suites share. `DRAFTBRIDGE_TEST_REDIS_URL=redis+cluster://...` runs them
 * all against a Redis Cluster (.ci/cluster-tests does).
 */
export const REDIS_URL =
  process.env.DRAFTBRIDGE_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ON_CLUSTER = isClusterUrl(REDIS_URL);

/**
 * A queue prefix nobody else uses, so suites can share the one real Redis. On a cluster it is a hash
 * tag, as production prefixes must be there, so every key of a suite lives in one slot.
 */
export function uniquePrefix(label: string, url = REDIS_URL): string {
  const prefix = `dbtest-${label}-${randomUUID().slice(0, 8)}`;
  return isClusterUrl(url) ? `{${prefix}}` : prefix;
}

/** A store-role connection to the shared test Redis (a Cluster client on a cluster), ready to use. */
export async function testRedis(url = REDIS_URL): Promise<RedisClient> {
  const redis = createRedis(url, 'store', 'draftbridge-test');
  await waitForRedis(redis, 10_000);
  return redis;
}

export function testSettings(overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    REDIS_URL,
    DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('app', overrides.REDIS_URL ?? REDIS_URL),
    HUBSPOT_CLIENT_SECRET: 'test-client-secret-0000',
    DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
    DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
    DRAFTBRIDGE_PUBLIC_URL: 'https://draftbridge.example.com',
    // Never contacted by these tests (the sandbox harness replaces them with its simulators).
    HUBSPOT_ACCESS_TOKEN: 'pat-test-unused',
    GRAPH_TENANT_ID: '00000000-0000-4000-8000-000000000001',
    GRAPH_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
    GRAPH_CLIENT_SECRET: 'unused-test-secret',
    LOCAL_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
    LOCAL_LLM_MODEL: 'unused',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export function defaultPolicy(): Policy {
  return parsePolicy(
    readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8'),
    'config/policy.yaml',
  );
}

/** Deletes every key under a prefix (SCAN, never KEYS; every master of a cluster). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = await testRedis(url);
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
