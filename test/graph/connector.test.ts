import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphMail, REQUEST_ID_PROPERTY } from '../../connectors/graph/connector.ts';
import { startGraphSimulator, type GraphSimulator } from '../../sandbox/graph/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { OutgoingMail } from '../../src/ports.ts';

const OWNER = 'max.vertrieb@example.com';

function mail(requestId: string, overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    mailbox: OWNER,
    to: [{ address: 'erika.musterfrau@example.com', name: 'Erika Musterfrau' }],
    subject: 'Ihr Rückrufwunsch',
    body: 'Sehr geehrte Frau Musterfrau,\n…',
    contentType: 'text',
    categories: ['KI-Entwurf – bitte prüfen'],
    requestId,
    ...overrides,
  };
}

describe('Graph connector: real MSAL ClientSecretCredential and Graph client against the TLS simulator', () => {
  let sim: GraphSimulator;
  let graph: GraphMail;
  let receiver: FastifyInstance;
  const received: { query: Record<string, string>; body: unknown; contentType?: string }[] = [];
  let echo: 'right' | 'wrong' = 'right';

  beforeAll(async () => {
    sim = await startGraphSimulator({ allowHttpNotificationUrls: true });
    trustSimulatorCa(sim.tls.caPem);
    sim.addMailbox(OWNER);
    graph = new GraphMail({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityHost: sim.authorityHost,
      baseUrl: sim.graphBaseUrl,
      mailboxConcurrency: 4,
      timeoutMs: 1500,
    });
    receiver = Fastify();
    receiver.post('/webhooks/graph', async (request, reply) => {
      const q = request.query as Record<string, string>;
      received.push({ query: q, body: request.body, contentType: request.headers['content-type'] });
      if (q.validationToken)
        return reply.type('text/plain').send(echo === 'right' ? q.validationToken : 'nope');
      return reply.code(202).send();
    });
    receiver.addContentTypeParser('text/plain', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    await receiver.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await receiver.close();
    await sim.close();
  });

  it('gets a token over TLS and creates a draft with category and the request-id extended property', async () => {
    const ref = await graph.createDraft(mail('req-graph-1'));
    expect(ref.isDraft).toBe(true);
    const [stored] = sim.mailbox(OWNER).messages;
    expect(stored).toMatchObject({
      parentFolderId: 'drafts',
      subject: 'Ihr Rückrufwunsch',
      categories: ['KI-Entwurf – bitte prüfen'],
    });
    expect(stored!.singleValueExtendedProperties).toEqual([
      { id: REQUEST_ID_PROPERTY, value: 'req-graph-1' },
    ]);
    expect(ref.id).toBe(stored!.immutableId); // Prefer: IdType="ImmutableId"
    const post = sim.requests.find((r) => r.method === 'POST' && r.path.endsWith('/messages'))!;
    expect(post.headers.authorization).toMatch(/^Bearer ey/);
    expect(post.headers.prefer).toBe('IdType="ImmutableId"');
  });

  it('finds the draft by request id, sends it, and still finds it (same immutable id) in Sent Items', async () => {
    const found = await graph.findByRequestId(OWNER, 'req-graph-1');
    expect(found).toMatchObject({ isDraft: true });
    expect(await graph.findByRequestId(OWNER, 'req-unknown')).toBeNull();
    await graph.sendDraft(OWNER, found!.id);
    const after = await graph.findByRequestId(OWNER, 'req-graph-1');
    expect(after).toMatchObject({ id: found!.id, isDraft: false });
    const message = await graph.getMessage(OWNER, found!.id);
    expect(message).toMatchObject({ requestId: 'req-graph-1', isDraft: false });
    expect(await graph.getMessage(OWNER, 'AAkALgnothere=')).toBeNull();
  });

  it('sendMail saves a findable copy to Sent Items', async () => {
    await graph.sendMail(mail('req-graph-2'));
    expect(await graph.findByRequestId(OWNER, 'req-graph-2')).toMatchObject({ isDraft: false });
  });

  it('maps 429 and 503 with Retry-After to UpstreamRateLimited; 5xx, timeouts and broken bodies to UpstreamUnavailable; 4xx to UpstreamRejected', async () => {
    sim.inject({ status: 429, retryAfterSeconds: 7 });
    const throttled = await graph.findByRequestId(OWNER, 'x').catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(UpstreamRateLimited);
    expect((throttled as UpstreamRateLimited).retryAfterMs).toBe(7000);
    sim.inject({ status: 503, retryAfterSeconds: 2 });
    expect(
      ((await graph.findByRequestId(OWNER, 'x').catch((e: unknown) => e)) as UpstreamRateLimited)
        .retryAfterMs,
    ).toBe(2000);
    sim.inject({ status: 500 });
    await expect(graph.findByRequestId(OWNER, 'x')).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ timeout: true, timeoutMs: 2500 });
    await expect(graph.findByRequestId(OWNER, 'x')).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ malformed: true });
    await expect(graph.findByRequestId(OWNER, 'x')).rejects.toBeInstanceOf(UpstreamUnavailable);
    await expect(graph.createDraft(mail('req-x', { mailbox: 'nobody@example.com' }))).rejects.toBeInstanceOf(
      UpstreamRejected,
    );
  });

  it('never runs more than 4 requests at once against one mailbox', async () => {
    sim.inject({ latencyMs: 150, times: 12, path: /\/messages$/ });
    await Promise.all(Array.from({ length: 12 }, (_, i) => graph.findByRequestId(OWNER, `c-${i}`)));
    // Observed at the simulator: concurrency was used, and never above Graph's mailbox limit.
    expect(sim.peakConcurrency(OWNER)).toBe(4);
  });

  it('rejects a wrong client secret (real MSAL against the Entra simulator)', async () => {
    const wrong = new GraphMail({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: 'wrong',
      authorityHost: sim.authorityHost,
      baseUrl: sim.graphBaseUrl,
    });
    await expect(wrong.findByRequestId(OWNER, 'x')).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('creates a subscription after the validation handshake (decoded token echoed as text/plain) and delivers notifications', async () => {
    const port = (receiver.server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/webhooks/graph`;
    const sub = await graph.subscribe({
      resource: `users/${OWNER}/mailFolders('SentItems')/messages`,
      changeType: 'created',
      notificationUrl: url,
      clientState: 'client-state-secret-123',
      expirationDateTime: new Date(Date.now() + 4000 * 60_000),
    });
    const handshake = received.find((r) => r.query.validationToken)!;
    expect(handshake.query.validationToken).toMatch(/^Validation: Testing client application reachability/);
    await graph.sendMail(mail('req-graph-3'));
    const note = received.at(-1)!.body as {
      value: { clientState: string; changeType: string; resource: string; resourceData: { id: string } }[];
    };
    expect(note.value[0]).toMatchObject({
      subscriptionId: sub.id,
      clientState: 'client-state-secret-123',
      changeType: 'created',
      resourceData: { '@odata.type': '#Microsoft.Graph.Message' },
    });
    expect(note.value[0]!.resource).toMatch(/^Users\/[0-9a-f-]{36}\/Messages\//);
    const renewed = await graph.renewSubscription(sub.id, new Date(Date.now() + 60 * 60_000));
    expect(Date.parse(renewed.expirationDateTime)).toBeLessThan(Date.now() + 61 * 60_000);
    await expect(
      graph.renewSubscription(sub.id, new Date(Date.now() + 5000 * 60_000)),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    await graph.deleteSubscription(sub.id);
    expect(sim.subscriptions.size).toBe(0);
    echo = 'wrong';
    await expect(
      graph.subscribe({
        resource: `users/${OWNER}/messages`,
        changeType: 'created',
        notificationUrl: url,
        clientState: 'client-state-secret-123',
        expirationDateTime: new Date(Date.now() + 60_000 * 60),
      }),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    echo = 'right';
  });

  it('pages a delta query to its deltaLink', async () => {
    for (let i = 0; i < 12; i++) await graph.createDraft(mail(`req-delta-${i}`));
    const first = await graph.delta(OWNER, 'drafts');
    expect(first.messages.length).toBeGreaterThanOrEqual(12);
    expect(first.deltaLink).toContain('$deltatoken=');
    expect(sim.requests.filter((r) => r.path.endsWith('/delta')).length).toBeGreaterThanOrEqual(2);
    const again = await graph.delta(OWNER, 'drafts', first.deltaLink);
    expect(again.deltaLink).toContain('$deltatoken=');
  });
});
