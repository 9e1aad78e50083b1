import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFor } from '../../src/keys.ts';
import { EditTracker } from '../../src/pipeline/edit-tracking.ts';
import { keptVaultId, PseudonymVault } from '../../src/privacy/vault.ts';
import { defaultPolicy, deletePrefix, uniquePrefix, testRedis } from '../support/env.ts';

describe('edit tracking store (vault copy under the request retention)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('edits');
  const policy = defaultPolicy();
  const body =
    'Sehr geehrte Frau Musterfrau,\n\nvielen Dank.\n\nMit freundlichen Grüßen\nMax Vertrieb\n\n-- \nDiese E-Mail wurde mit Unterstützung eines KI-Systems verfasst und von Max Vertrieb geprüft.';
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const vaultWith = (key: Buffer) => new PseudonymVault(redis, { prefix, currentKey: key, ttlMs: 60_000 });

  it('keeps the body above the signature for the flow retention, encrypted, apart from the pipeline entry', async () => {
    const vault = vaultWith(randomBytes(32));
    const tracker = new EditTracker(vault, policy);
    await tracker.keep('req-a', { body, flow: 'callback', language: 'de' });
    const key = keysFor(prefix).vault(keptVaultId('req-a'));
    expect(await redis.pttl(key)).toBeGreaterThan(policy.retention.request! - 60_000);
    expect(JSON.stringify(await redis.hgetall(key))).not.toContain('Musterfrau');
    await vault.erase('req-a'); // the pipeline's terminal-state erase leaves the copy alone
    expect(await redis.exists(key)).toBe(1);
    expect(
      await tracker.measure('req-a', body.replace('vielen Dank.', 'vielen Dank für Ihren Anruf.')),
    ).toMatchObject({ flow: 'callback', language: 'de' });
    expect(await redis.exists(key)).toBe(0);
    expect(await tracker.measure('req-a', body)).toBeNull(); // measured once
  });

  it('drops a copy it can no longer read instead of holding up the approval', async () => {
    await new EditTracker(vaultWith(randomBytes(32)), policy).keep('req-b', {
      body,
      flow: 'callback',
      language: 'de',
    });
    const rotated = new EditTracker(vaultWith(randomBytes(32)), policy);
    expect(await rotated.measure('req-b', body)).toBeNull();
    expect(await redis.exists(keysFor(prefix).vault(keptVaultId('req-b')))).toBe(0);
  });
});
