import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createPorts } from '../../connectors/index.ts';
import { createAppContext, requestStoreFor, type AppContext } from '../../src/app.ts';
import { signV3 } from '../../src/http/hubspot-signature.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import type { RequestRecord } from '../../src/pipeline/request-state.ts';
import type { Policy } from '../../src/policy.ts';
import { SANDBOX_CONTACTS, SANDBOX_HUBSPOT_SECRET, SANDBOX_OWNERS, SANDBOX_PORTAL_ID, startSandbox, type Sandbox } from '../../src/sandbox.ts';
import { startWorkers, type RunningWorkers } from '../../workers/index.ts';
import { defaultPolicy, deletePrefix, testSettings } from './env.ts';
import { freePort } from './redis-server.ts';

/**
 * The whole product in one process for end-to-end tests: sandbox simulators, the HTTP API, the
 * workers on the real Redis under a unique prefix, and every log line captured.
 */
export interface PipelineHarness {
  sandbox: Sandbox;
  ctx: AppContext;
  app: FastifyInstance;
  workers: RunningWorkers | undefined;
  logs: string[];
  startWorkers(): Promise<RunningWorkers>;
  deliverWebhook(contactId: string, options?: { eventId?: number; subscriptionType?: string; attemptNumber?: number }): Promise<{ status: number; requestId: string }>;
  waitForState(requestId: string, states: string[], timeoutMs?: number): Promise<RequestRecord>;
  waitForCrmNote(requestId: string, timeoutMs?: number): Promise<void>;
  /** Between cases: every injected fault dropped and every queue idle, so no case sees another's traffic. */
  settle(timeoutMs?: number): Promise<void>;
  draftsFor(requestId: string): { mailbox: string; subject: string; body: string; to: string[]; categories: string[]; isDraft: boolean }[];
  personalValues(): string[];
  close(): Promise<void>;
}

let nextEvent = 7_000_000;

/** `env` overrides test settings (e.g. REDIS_URL of a private cluster). */
export async function startPipelineHarness(options: { policy?: (p: Policy) => Policy; withWorkers?: boolean; env?: Record<string, string> } = {}): Promise<PipelineHarness> {
  const base = defaultPolicy();
  // Short backoff so fault storms finish quickly in tests.
  const policy = (options.policy ?? ((p) => p))({ ...base, defaults: { ...base.defaults, jobs: { attempts: 5, backoffMs: 50 } } });
  // A real listener: Graph (the simulator) calls /webhooks/graph for the handshake and notifications.
  const port = await freePort();
  const settings = testSettings({ DRAFTBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`, DRAFTBRIDGE_SANDBOX: '1', HUBSPOT_CLIENT_SECRET: SANDBOX_HUBSPOT_SECRET, ...options.env });
  const sandbox = await startSandbox(settings, { tlsDir: new URL('../../.sandbox/tls-test', import.meta.url).pathname });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const ctx = createAppContext(sandbox.settings, policy, { logger: createLogger({ level: 'debug' }, sink) });
  await ctx.ready();
  const app = await buildServer(ctx);
  await app.listen({ port, host: '127.0.0.1' });
  const requests = requestStoreFor(ctx);
  const harness: PipelineHarness = {
    sandbox,
    ctx,
    app,
    workers: undefined,
    logs,
    async startWorkers() {
      harness.workers = await startWorkers(ctx, createPorts(ctx.settings, policy, prometheusConnectorMetrics), { lockDurationMs: 3000, stalledIntervalMs: 1000 });
      return harness.workers;
    },
    async deliverWebhook(contactId, o = {}) {
      const eventId = o.eventId ?? ++nextEvent;
      const contact = SANDBOX_CONTACTS.find((c) => c.id === contactId);
      const type = o.subscriptionType ?? (contact?.properties.message ? 'contact.creation' : 'contact.propertyChange');
      const body = JSON.stringify([
        { eventId, subscriptionId: 99, portalId: SANDBOX_PORTAL_ID, appId: 1, occurredAt: Date.now(), subscriptionType: type, attemptNumber: o.attemptNumber ?? 0, objectId: Number(contactId), ...(type === 'contact.propertyChange' ? { propertyName: 'callback_requested', propertyValue: 'true' } : {}) },
      ]);
      const timestamp = Date.now();
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        payload: body,
        headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': String(timestamp), 'x-hubspot-signature-v3': signV3({ secret: SANDBOX_HUBSPOT_SECRET, method: 'POST', uri: `${ctx.settings.publicUrl}/webhooks/hubspot`, body, timestamp }) },
      });
      return { status: res.statusCode, requestId: `hs-${SANDBOX_PORTAL_ID}-${eventId}-${contactId}` };
    },
    async waitForState(requestId, states, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await requests.get(requestId);
        if (record && states.includes(record.state)) return record;
        if (Date.now() > deadline) throw new Error(`request ${requestId} stayed in ${record?.state ?? '(none)'}; wanted ${states.join('|')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitForCrmNote(requestId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      // The crm-sync job has finished: note written and draftbridge_status updated.
      while ((await ctx.queues['crm-sync'].getJobState(requestId)) !== 'completed') {
        if (Date.now() > deadline) throw new Error(`no CRM note for ${requestId}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async settle(timeoutMs = 30_000) {
      for (const sim of [sandbox.hubspot, sandbox.graph, sandbox.llm]) sim.clearFaults();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // mail-events always holds the hourly subscription renewal as a delayed job.
        const counts = await Promise.all(Object.values(ctx.queues).map((q) => (q.name === 'mail-events' ? q.getJobCounts('waiting', 'active') : q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'))));
        if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
        if (Date.now() > deadline) throw new Error(`queues still busy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    draftsFor(requestId) {
      return SANDBOX_OWNERS.flatMap((o) => sandbox.graph.mailbox(o.email).messages)
        .filter((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))
        .map((m) => ({ mailbox: m.mailbox, subject: m.subject, body: m.body.content, to: m.toRecipients.map((r) => r.emailAddress.address), categories: m.categories, isDraft: m.isDraft }));
    },
    personalValues() {
      const values = new Set<string>();
      for (const c of SANDBOX_CONTACTS) for (const k of ['firstname', 'lastname', 'email', 'phone', 'company']) if (c.properties[k]) values.add(c.properties[k]!);
      for (const o of SANDBOX_OWNERS) for (const v of [o.firstName, o.lastName, o.email]) values.add(v);
      values.add('+49 30 901820'.replace(/\s/g, ''));
      return [...values];
    },
    async close() {
      await harness.workers?.close();
      await app.close();
      const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
      await ctx.close();
      await sandbox.close();
      await deletePrefix(prefix, ctx.settings.REDIS_URL);
    },
  };
  if (options.withWorkers !== false) await harness.startWorkers();
  return harness;
}

export { leakedValues } from './leaks.ts';
