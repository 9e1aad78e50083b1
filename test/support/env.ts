import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { parsePolicy, type Policy } from '../../src/policy.ts';
import { loadSettings, type Settings } from '../../src/settings.ts';
import { readFileSync } from 'node:fs';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix nobody else uses, so suites can share the one real Redis. */
export function uniquePrefix(label: string): string {
  return `dbtest-${label}-${randomUUID().slice(0, 8)}`;
}

export function testSettings(overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    REDIS_URL,
    DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('app'),
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
  return parsePolicy(readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8'), 'config/policy.yaml');
}

/** Deletes every key under a prefix (SCAN, never KEYS). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
