import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { CachedTokenCredential } from '../../../connectors/token-cache.ts';

/** A credential standing in for MSAL: counts calls, hands out tokens with a given lifetime. */
function countingCredential(clock: { now: number }, lifetimeMs: number, extra: Partial<AccessToken> = {}) {
  const calls: string[] = [];
  let fail = false;
  const credential: TokenCredential = {
    async getToken(scopes) {
      calls.push([scopes].flat().join(' '));
      await new Promise((r) => setImmediate(r));
      if (fail) throw new Error('token service down');
      return { token: `t${calls.length}`, expiresOnTimestamp: clock.now + lifetimeMs, ...extra };
    },
  };
  return { credential, calls, failNext: (value: boolean) => (fail = value) };
}

describe('CachedTokenCredential (the Graph/Dataverse token kept until shortly before expiry)', () => {
  const scope = 'https://graph.microsoft.com/.default';

  it('answers from the kept token, renews five minutes before expiry, and per scope', async () => {
    const clock = { now: 1_000_000 };
    const inner = countingCredential(clock, 3_600_000);
    const cached = new CachedTokenCredential(inner.credential, { now: () => clock.now });
    expect((await cached.getToken(scope))?.token).toBe('t1');
    clock.now += 3_600_000 - 5 * 60_000 - 1;
    expect((await cached.getToken(scope))?.token).toBe('t1');
    expect(inner.calls).toHaveLength(1);
    clock.now += 1;
    expect((await cached.getToken(scope))?.token).toBe('t2');
    expect((await cached.getToken('https://org.crm4.dynamics.com/.default'))?.token).toBe('t3');
  });

  it('lets concurrent callers share one refresh and keeps no failed one', async () => {
    const clock = { now: 0 };
    const inner = countingCredential(clock, 3_600_000);
    const cached = new CachedTokenCredential(inner.credential, { now: () => clock.now });
    inner.failNext(true);
    const failed = await Promise.allSettled([cached.getToken(scope), cached.getToken(scope)]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(inner.calls).toHaveLength(1);
    inner.failNext(false);
    const tokens = await Promise.all([
      cached.getToken(scope),
      cached.getToken(scope),
      cached.getToken(scope),
    ]);
    expect(tokens.map((t) => t?.token)).toEqual(['t2', 't2', 't2']);
    expect(inner.calls).toHaveLength(2);
  });

  it('renews short-lived tokens at half their life and when the service asks (refreshAfterTimestamp)', async () => {
    const clock = { now: 0 };
    const short = countingCredential(clock, 60_000);
    const cached = new CachedTokenCredential(short.credential, { now: () => clock.now });
    await cached.getToken(scope);
    clock.now = 29_999;
    await cached.getToken(scope);
    expect(short.calls).toHaveLength(1);
    clock.now = 30_000;
    await cached.getToken(scope);
    expect(short.calls).toHaveLength(2);

    const asked = countingCredential(clock, 3_600_000, { refreshAfterTimestamp: clock.now + 1_000 });
    const cachedAsked = new CachedTokenCredential(asked.credential, { now: () => clock.now });
    await cachedAsked.getToken(scope);
    clock.now += 1_000;
    await cachedAsked.getToken(scope);
    expect(asked.calls).toHaveLength(2);
  });

  it('passes claims challenges straight through', async () => {
    const clock = { now: 0 };
    const inner = countingCredential(clock, 3_600_000);
    const cached = new CachedTokenCredential(inner.credential, { now: () => clock.now });
    await cached.getToken(scope);
    await cached.getToken(scope, { claims: '{"access_token":{"nbf":{"essential":true}}}' });
    expect(inner.calls).toHaveLength(2);
  });
});
