import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { RequestStore } from '../../src/pipeline/request-state.ts';
import { erasureRequest } from '../../src/privacy/subject-requests.ts';
import { VaultError } from '../../src/privacy/vault.ts';
import { subjectRequestDeps, vaultFor } from '../../src/app.ts';
import { defaultPolicy, deletePrefix, testSettings } from '../support/env.ts';

/**
 * Found by the full test suite under load: a stage still running when the person was erased wrote its
 * facts back and recreated the request record (without a TTL). Writes after an erasure now do nothing.
 */
describe('a stage that finishes after an erasure', () => {
  let ctx: AppContext;
  beforeAll(async () => {
    ctx = createAppContext(testSettings(), defaultPolicy());
    await ctx.ready();
  });
  afterAll(async () => {
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await ctx.close();
    await deletePrefix(prefix);
  });

  it('recreates neither the request record nor the vault entry', async () => {
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    const vault = vaultFor(ctx);
    const store = new RequestStore(ctx.redis, { prefix, ttlMs: 60_000, audit: ctx.audit });
    const subject = ctx.audit.subjectRef('hubspot', 'contact', '4711');
    await store.open({
      requestId: 'hs-1-9-4711',
      flow: 'callback',
      source: 'hubspot.app',
      account: '1',
      objectType: 'contact',
      contactId: '4711',
      subject,
    });
    await vault.put('hs-1-9-4711', 'contact', { properties: { firstname: 'Erika' } });
    expect(await store.note('hs-1-9-4711', { messageId: 'm-1' })).toBe(true);

    expect(await erasureRequest(subjectRequestDeps(ctx), '4711')).toEqual({ requestsErased: 1 });
    expect(await ctx.redis.exists(`${prefix}:request:hs-1-9-4711`, `${prefix}:vault:hs-1-9-4711`)).toBe(0);

    // The in-flight stage goes on: its writes are refused, nothing comes back.
    expect(await store.note('hs-1-9-4711', { 'note:awaiting_review': 'n-1', noteId: 'n-1' })).toBe(false);
    await expect(vault.put('hs-1-9-4711', 'owner', { email: 'max.vertrieb@example.com' })).rejects.toThrow(
      VaultError,
    );
    await expect(store.transition('hs-1-9-4711', 'fetched', { actor: 'intake' })).rejects.toThrow(
      /no record/,
    );
    expect(await ctx.redis.exists(`${prefix}:request:hs-1-9-4711`, `${prefix}:vault:hs-1-9-4711`)).toBe(0);
  });
});
