import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATES } from '../../src/pipeline/request-state.ts';
import { keyspaceNodes } from '../../src/redis.ts';
import { defaultPolicy } from '../support/env.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';
import { LocalRedisCluster } from '../support/redis-cluster.ts';

/** The master port serving the slot of the deployment's hash tag, i.e. every key of this deployment. */
async function masterOfPrefix(h: PipelineHarness): Promise<number> {
  const slot = calculateSlot(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
  const range = (await h.ctx.redis.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
  if (!range?.[2]) throw new Error(`no node serves slot ${slot}`);
  return range[2][1];
}

/** Retries a read through the failover window (the producer connection fails fast on purpose). */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('HubSpot pipeline on a three-master Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let h: PipelineHarness;
  beforeAll(async () => {
    cluster = await LocalRedisCluster.start({ masters: 3 });
    h = await startPipelineHarness({ env: { REDIS_URL: cluster.url } });
  }, 60_000);
  // Closing after the master-restart case hung for good in about half of the full runs before the
  // workers' close was bounded (closeWorker in src/pipeline/stage-runner.ts): a blocking Cluster
  // client left with an empty node pool never reports its end. The harness's grace is 20 s.
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  }, 90_000);

  it('runs a callback request to an Outlook draft with every connection a Cluster client and every key in the prefix’s slot', async () => {
    expect(h.ctx.redis).toBeInstanceOf(Cluster);
    expect(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX).toMatch(/^\{dbtest-app-[0-9a-f]{8}\}$/);
    const { status, requestId } = await h.deliverWebhook('1001');
    expect(status).toBe(204);
    expect((await h.waitForState(requestId, ['awaiting_review', 'failed'])).state).toBe('awaiting_review');
    await h.waitForCrmNote(requestId);
    const [draft, ...more] = h.draftsFor(requestId);
    expect(more).toHaveLength(0);
    expect(draft).toMatchObject({
      mailbox: 'max.vertrieb@example.com',
      to: ['erika.musterfrau@example.com'],
      isDraft: true,
    });
    expect(draft!.body.startsWith('Sehr geehrte Frau Musterfrau,')).toBe(true);
    // All of the deployment's keys (BullMQ's and draftbridge's) sit on the one master that serves the tag's slot.
    const owner = await masterOfPrefix(h);
    const counts = await Promise.all(
      keyspaceNodes(h.ctx.redis).map(async (node) => ({
        port: node.options.port,
        keys: (
          await node.scan('0', 'MATCH', `${h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}*`, 'COUNT', 10_000)
        )[1].length,
      })),
    );
    expect(counts.filter((c) => c.keys > 0).map((c) => c.port)).toEqual([owner]);
    expect((await h.ctx.audit.verify()).ok).toBe(true);
  });

  it('reloads its Lua scripts on a node whose script cache was emptied (EVALSHA → NOSCRIPT → EVAL)', async () => {
    for (const node of keyspaceNodes(h.ctx.redis)) await node.script('FLUSH');
    const { requestId } = await h.deliverWebhook('1002');
    expect((await h.waitForState(requestId, ['awaiting_review', 'failed'])).state).toBe('awaiting_review');
    expect(h.draftsFor(requestId)).toHaveLength(1);
    expect((await h.ctx.audit.verify()).ok).toBe(true);
  });

  it('answers 503 while the master holding its slot is down (no replica), and takes HubSpot’s retry once it is back', async () => {
    const master = await masterOfPrefix(h);
    await cluster.kill(master);
    // The producer connection fails fast on a cluster too: an answer, not a hang until HubSpot gives up.
    const eventId = 9_200_001;
    const askedAt = Date.now();
    const down = await h.deliverWebhook('1001', { eventId });
    const answeredMs = Date.now() - askedAt;
    expect(down.status).toBe(503);
    // HubSpot counts an answer after 5 s as failed (a contract, not a speed goal); before the
    // producer's short cluster retries this took 6–7 s, now well under a second.
    expect(answeredMs).toBeLessThan(5_000);
    console.log(`producer: 503 after ${answeredMs} ms with the slot's master down`);
    await cluster.restart(master);
    const retried = await eventually(
      () => h.deliverWebhook('1001', { eventId, attemptNumber: 1 }),
      (r) => r.status === 204,
      'the retried delivery accepted',
    );
    expect(retried.requestId).toBe(down.requestId);
    expect((await h.waitForState(down.requestId, ['awaiting_review', 'failed'])).state).toBe(
      'awaiting_review',
    );
    expect(h.draftsFor(down.requestId)).toHaveLength(1);
    expect((await h.ctx.audit.verify()).ok).toBe(true);
  }, 90_000);
});

describe('master failover mid-run (three masters, one replica each)', () => {
  let cluster: LocalRedisCluster;
  let h: PipelineHarness;
  beforeAll(async () => {
    cluster = await LocalRedisCluster.start({ masters: 3, replicas: 1 });
    // The shipped policy's attempts and backoff (the harness shortens them for fault storms): a job
    // that fails while the cluster elects a new master must still have attempts left afterwards.
    const shipped = defaultPolicy().defaults.jobs;
    h = await startPipelineHarness({
      env: { REDIS_URL: cluster.url },
      policy: (p) => ({ ...p, defaults: { ...p.defaults, jobs: shipped } }),
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('loses and doubles no request when the master holding the queues is SIGKILLed while 50 webhooks are processed', async () => {
    const contacts = ['1001', '1002'];
    // Delivery as HubSpot does it: a 503 (Redis unavailable during the failover) is retried later.
    const deliver = async (i: number): Promise<string> => {
      const eventId = 9_100_000 + i;
      for (;;) {
        const r = await h
          .deliverWebhook(contacts[i % 2]!, { eventId })
          .catch(() => ({ status: 0, requestId: '' }));
        if (r.status === 204) return r.requestId;
        expect([0, 503]).toContain(r.status);
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await deliver(i));
    const master = await masterOfPrefix(h);
    // Mid-run: some requests done, the rest queued or in a stage.
    const doneAtKill = await eventually(
      async () =>
        (
          await Promise.all(
            ids.map((id) =>
              h.ctx.redis.hget(`${h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:request:${id}`, 'state'),
            ),
          )
        ).filter((s) => s === 'awaiting_review').length,
      (n) => n >= 3,
      'first drafts',
    );
    await cluster.kill(master);
    const killedAt = Date.now();
    // The second half arrives during and after the failover.
    const late = Promise.all(Array.from({ length: 25 }, (_, i) => deliver(25 + i)));
    await cluster.waitFailover(master);
    const failoverMs = Date.now() - killedAt;
    ids.push(...(await late));
    expect(new Set(ids).size).toBe(50);
    expect(await masterOfPrefix(h)).not.toBe(master);

    const prefix = h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    const states = await eventually(
      () => Promise.all(ids.map((id) => h.ctx.redis.hget(`${prefix}:request:${id}`, 'state'))),
      (s) => s.every((x) => x !== null && TERMINAL_STATES.has(x as never)),
      'every request in a terminal state',
      90_000,
    ).catch(async (err: Error) => {
      const left = await Promise.all(
        ids.map(async (id) => `${id}=${await h.ctx.redis.hget(`${prefix}:request:${id}`, 'state')}`),
      );
      throw new Error(`${err.message}: ${left.filter((l) => !/=(awaiting_review)$/.test(l)).join(', ')}`);
    });
    expect(
      states.every((s) => s === 'awaiting_review'),
      JSON.stringify(states),
    ).toBe(true);
    let auditLost = 0;
    for (const id of ids) {
      // Exactly one draft per request, and never two terminal transitions in the audit trail.
      expect(h.draftsFor(id), id).toHaveLength(1);
      const terminal = (await h.ctx.audit.read({ requestId: id, count: 1000 })).filter(
        (e) => e.type.startsWith('request.') && TERMINAL_STATES.has(e.type.slice('request.'.length) as never),
      );
      expect(terminal.length, id).toBeLessThanOrEqual(1);
      // Redis replicates asynchronously: an audit event the dying master acknowledged but had not yet
      // passed on can be gone (README: Scale-out on Redis Cluster); counted, not hidden.
      if (terminal.length === 0) auditLost++;
    }
    expect(auditLost).toBeLessThanOrEqual(1);
    expect(failoverMs).toBeGreaterThan(0);
    console.log(
      `failover: master ${master} SIGKILLed with ${doneAtKill}/25 requests done; replica promoted and cluster ok after ${failoverMs} ms; 50/50 requests with one draft each; terminal audit events lost with the master: ${auditLost}`,
    );
  }, 180_000);
});
