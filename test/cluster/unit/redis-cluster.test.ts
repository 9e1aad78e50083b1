import { QueueKeys } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { keysFor } from '../../../src/keys.ts';
import { QUEUE_NAMES } from '../../../src/pipeline/queues.ts';
import { Cluster } from 'ioredis';
import { clusterOptions, keyspaceNodes, parseClusterUrl } from '../../../src/redis.ts';
import { hasHashTag, loadSettings, SettingsError } from '../../../src/settings.ts';

/**
 * The keys each Lua script and MULTI gets, as their call sites build them (request-state.ts,
 * trail.ts, mail-watch.ts, llm-circuit.ts, vault.ts). On a cluster a script or transaction whose keys
 * span two slots fails with CROSSSLOT.
 */
function multiKeyCalls(prefix: string): Record<string, string[]> {
  const k = keysFor(prefix);
  return {
    'RequestStore.open (OPEN_SCRIPT)': [k.request('hs-1-2-3'), k.subject('a'.repeat(32))],
    'RequestStore.transition (TRANSITION_SCRIPT)': [k.request('hs-1-2-3')],
    'RequestStore.update (UPDATE_SCRIPT)': [k.request('hs-1-2-3')],
    'AuditTrail.append (APPEND_SCRIPT)': [k.audit.stream, k.audit.head],
    'AuditTrail.trim (TRIM_BATCH_SCRIPT)': [
      k.audit.stream,
      k.audit.links,
      k.audit.anchor,
      k.audit.anchorId,
      k.audit.subjectIndex('a'.repeat(32)),
      k.audit.requestIndex('hs-1-2-3'),
    ],
    'AuditTrail seal (SEAL_SCRIPT, with indexes and the review fold)': [
      k.audit.links,
      k.audit.head,
      k.ops.cursor,
      k.audit.subjectIndex('a'.repeat(32)),
      k.audit.requestIndex('hs-1-2-3'),
      k.ops.day('2026-12-08'),
      k.ops.awaiting,
      k.ops.deadLetters,
      k.ops.deadLetterInfo,
      k.ops.blocked,
    ],
    'ReviewLedger.catchUp (FOLD_SCRIPT)': [k.ops.cursor, k.ops.day('2026-12-08'), k.ops.awaiting],
    'SubjectKeys.sweep (SWEEP_SCRIPT)': [`${prefix}:audit:subject-keys`, `${prefix}:audit:subject-keys:used`],
    'purgeRequests (MULTI over the review lists)': [k.ops.awaiting, k.ops.deadLetters, k.ops.deadLetterInfo],
    'LlmCircuit (MULTI)': [k.circuit('eu').failures, k.circuit('eu').open],
    'MailWatch subscription (MULTI)': [k.mailWatch.subscription('sub-1'), k.mailWatch.expiry],
    'MailWatch links (MULTI)': [k.mailWatch.message('msg-1'), k.mailWatch.conversation('conv-1')],
    // BullMQ's own scripts take several keys of one queue, and flows add jobs across queues.
    'BullMQ queues': QUEUE_NAMES.flatMap((q) =>
      Object.values(new QueueKeys(prefix).getKeys(q)).filter(Boolean),
    ),
  };
}

describe('hash slots on a Redis Cluster', () => {
  it('puts every key a script or transaction gets into the slot of the prefix’s hash tag', () => {
    const prefix = '{draftbridge}';
    const slot = calculateSlot(prefix);
    for (const [call, keys] of Object.entries(multiKeyCalls(prefix))) {
      expect(keys.length, call).toBeGreaterThan(0);
      expect(
        keys.map((key) => calculateSlot(key)),
        call,
      ).toEqual(keys.map(() => slot));
    }
  });

  it('would not without the tag (which is why start-up refuses such a prefix)', () => {
    const keys = multiKeyCalls('draftbridge')['RequestStore.open (OPEN_SCRIPT)']!;
    expect(calculateSlot.generateMulti(keys)).toBe(-1);
  });

  it('recognises a hash tag the way Redis does (first {, next }, not empty)', () => {
    expect(hasHashTag('{draftbridge}')).toBe(true);
    expect(hasHashTag('prod:{draftbridge}')).toBe(true);
    expect(hasHashTag('draftbridge')).toBe(false);
    expect(hasHashTag('{}draftbridge')).toBe(false);
    expect(hasHashTag('{draftbridge')).toBe(false);
  });
});

describe('cluster settings', () => {
  const env = { DRAFTBRIDGE_SANDBOX: '1' };
  it('accepts a cluster URL with a hash-tagged prefix', () => {
    const s = loadSettings({
      ...env,
      REDIS_URL: 'rediss+cluster://draftbridge:s3cret@node1.cache.test:6380,node2.cache.test:6380',
      DRAFTBRIDGE_QUEUE_PREFIX: '{draftbridge}',
    });
    expect(s.REDIS_URL).toMatch(/^rediss\+cluster:/);
  });

  it('refuses a cluster URL whose prefix has no hash tag, with one message naming the fix', () => {
    const err = (() => {
      try {
        loadSettings({
          ...env,
          REDIS_URL: 'redis+cluster://127.0.0.1:7000',
          DRAFTBRIDGE_QUEUE_PREFIX: 'draftbridge',
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).problems).toEqual([
      expect.stringMatching(/^DRAFTBRIDGE_QUEUE_PREFIX: .*hash tag.*\{draftbridge\}/),
    ]);
    // The default prefix has no tag either.
    expect(() => loadSettings({ ...env, REDIS_URL: 'redis+cluster://127.0.0.1:7000' })).toThrow(/hash tag/);
    // A single Redis needs none.
    expect(loadSettings({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' }).DRAFTBRIDGE_QUEUE_PREFIX).toBe(
      'draftbridge',
    );
  });

  it('refuses a malformed cluster URL', () => {
    expect(() =>
      loadSettings({ ...env, REDIS_URL: 'redis+cluster://', DRAFTBRIDGE_QUEUE_PREFIX: '{d}' }),
    ).toThrow(/REDIS_URL: a cluster URL lists seed nodes/);
    expect(() =>
      loadSettings({ ...env, REDIS_URL: 'redis+cluster://h:99999', DRAFTBRIDGE_QUEUE_PREFIX: '{d}' }),
    ).toThrow(/REDIS_URL/);
  });
});

describe('cluster connections', () => {
  it('parses seed nodes, ACL credentials and TLS from the URL', () => {
    expect(
      parseClusterUrl('rediss+cluster://app%40x:p%3Ass@a.cache.test:6380,b.cache.test:6381,[::1]:7000'),
    ).toEqual({
      nodes: [
        { host: 'a.cache.test', port: 6380 },
        { host: 'b.cache.test', port: 6381 },
        { host: '::1', port: 7000 },
      ],
      username: 'app@x',
      password: 'p:ss',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@127.0.0.1')).toEqual({
      nodes: [{ host: '127.0.0.1', port: 6379 }],
      username: undefined,
      password: 'secret',
      tls: false,
    });
    expect(parseClusterUrl('redis://127.0.0.1:6379')).toBeNull();
  });

  it('keeps each role’s failure semantics on a cluster', () => {
    const url = parseClusterUrl('rediss+cluster://u:p@a.cache.test:6380')!;
    const producer = clusterOptions('producer', url, 'p');
    expect(producer).toMatchObject({
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 3_000 },
    });
    // A dead master's slot: a few short tries, then the error (a 503), well within HubSpot's 5 s.
    expect(
      producer.maxRedirections! *
        Math.max(
          producer.retryDelayOnClusterDown!,
          producer.retryDelayOnFailover!,
          producer.retryDelayOnTryAgain!,
        ),
    ).toBeLessThanOrEqual(1_000);
    const worker = clusterOptions('worker', url, 'w');
    // BullMQ reads maxRetriesPerRequest from redisOptions of a Cluster and needs null there.
    expect(worker.redisOptions!.maxRetriesPerRequest).toBeNull();
    expect(worker.enableOfflineQueue).toBe(true);
    const store = clusterOptions('store', url, 's');
    expect(store).toMatchObject({
      enableOfflineQueue: true,
      retryDelayOnFailover: expect.any(Number),
      retryDelayOnClusterDown: expect.any(Number),
      retryDelayOnTryAgain: expect.any(Number),
      redisOptions: { maxRetriesPerRequest: 20 },
    });
    for (const o of [producer, worker, store]) {
      expect(o.clusterRetryStrategy!(100)).toBe(2_000);
      expect(o.redisOptions).toMatchObject({
        username: 'u',
        password: 'p',
        tls: { servername: 'a.cache.test' },
      });
    }
    expect(
      clusterOptions('store', parseClusterUrl('redis+cluster://127.0.0.1:7000')!, 's').redisOptions,
    ).not.toHaveProperty('tls');
  });

  it('refuses to list a cluster’s masters before it knows any (a scan would silently find nothing)', () => {
    const unconnected = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
    expect(() => keyspaceNodes(unconnected)).toThrow(/no known master/);
  });
});
