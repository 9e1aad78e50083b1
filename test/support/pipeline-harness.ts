import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createPorts } from '../../connectors/index.ts';
import { RedisRateBudget } from '../../src/rate-budget.ts';
import { createAppContext, requestStoreFor, type AppContext } from '../../src/app.ts';
import { signV3 } from '../../connectors/hubspot/signature.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import type { RequestRecord } from '../../src/pipeline/request-state.ts';
import type { Policy } from '../../src/policy.ts';
import type { CrmName } from '../../src/crm-fields.ts';
import {
  SANDBOX_CONTACTS,
  SANDBOX_HUBSPOT_SECRET,
  SANDBOX_OWNERS,
  SANDBOX_PORTAL_ID,
  startSandbox,
  type Sandbox,
} from '../../sandbox/index.ts';
import {
  dataverseView,
  fireDataverseTrigger,
  fireSalesforceTrigger,
  salesforceView,
  sandboxRecord,
} from '../../sandbox/crm.ts';
import type { SentWebhook } from '../../sandbox/dynamics/simulator.ts';
import type { SentOutboundMessage } from '../../sandbox/salesforce/simulator.ts';
import type { Fault } from '../../sandbox/support.ts';
import type { WorkerTiming } from '../../src/pipeline/stage-runner.ts';
import { startWorkers, type RunningWorkers } from '../../workers/index.ts';
import { defaultPolicy, deletePrefix, testSettings } from './env.ts';
import { freePort } from './redis-server.ts';

/**
 * The whole product in one process for end-to-end tests: sandbox simulators, the HTTP API, the
 * workers on the real Redis under a unique prefix, and every log line captured. `crm` picks the CRM
 * (DRAFTBRIDGE_CRM): its simulator, its trigger (HubSpot webhook, Salesforce Outbound Message,
 * Dataverse webhook) and
 * its record ids; the CRM-neutral helpers (`crmView`, `injectCrm`) let one suite run for each.
 */
export const CRMS = ['hubspot', 'salesforce', 'dynamics'] as const satisfies readonly CrmName[];

export interface PipelineHarness {
  crm: CrmName;
  sandbox: Sandbox;
  ctx: AppContext;
  app: FastifyInstance;
  workers: RunningWorkers | undefined;
  logs: string[];
  /** `timing` overrides the harness's short lock and stalled-check times (and the close's grace period). */
  startWorkers(timing?: WorkerTiming): Promise<RunningWorkers>;
  /** `contactId` is the sandbox person (1001…1006); a repeated `eventId` redelivers the same CRM event. */
  deliverWebhook(
    contactId: string,
    options?: { eventId?: number; subscriptionType?: string; attemptNumber?: number },
  ): Promise<{ status: number; requestId: string }>;
  /** The person's record in the CRM: status field and the notes (or Tasks) written to it. */
  crmView(contactId: string): { status: string | null; notes: string[] };
  /** A fault in the CRM simulator (status 429 means the CRM's rate-limit answer). */
  injectCrm(fault: Fault): void;
  waitForState(requestId: string, states: string[], timeoutMs?: number): Promise<RequestRecord>;
  waitForCrmNote(requestId: string, timeoutMs?: number): Promise<void>;
  /** Between cases: every injected fault dropped and every queue idle, so no case sees another's traffic. */
  settle(timeoutMs?: number): Promise<void>;
  draftsFor(requestId: string): {
    mailbox: string;
    subject: string;
    body: string;
    to: string[];
    categories: string[];
    isDraft: boolean;
  }[];
  personalValues(): string[];
  close(): Promise<void>;
}

let nextEvent = 7_000_000;

/** `env` overrides test settings (e.g. REDIS_URL of a private cluster). */
type HarnessOptions = {
  policy?: (p: Policy) => Policy;
  withWorkers?: boolean;
  mail?: 'graph' | 'gmail' | 'ews';
  crm?: CrmName;
  env?: Record<string, string>;
};

export async function startPipelineHarness(options: HarnessOptions = {}): Promise<PipelineHarness> {
  // The listener's port is chosen before the settings that name it (public URL), so on a busy machine
  // another process can take it in between (EADDRINUSE): then start again on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPipelineHarnessOnce(options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw err;
    }
  }
}

async function startPipelineHarnessOnce(options: HarnessOptions): Promise<PipelineHarness> {
  const crm = options.crm ?? 'hubspot';
  const base = defaultPolicy();
  // Short backoff so fault storms finish quickly in tests.
  // A short removal grace: a deleted draft is confirmed as rejected within the tests' waits. Suites
  // trigger the same few sandbox contacts again and again: one open request per contact is off unless
  // a suite turns it on (test/e2e/open-request.test.ts).
  const defaults = { ...base.defaults, jobs: { attempts: 5, backoffMs: 50 }, openRequestWindow: 0 };
  const policy = (options.policy ?? ((p) => p))({
    ...base,
    defaults,
    mail: { ...base.mail, draftRemovalGrace: 1500 },
  });
  // A real listener: Graph (the simulator) calls /webhooks/graph for the handshake and notifications.
  const port = await freePort();
  const settings = testSettings({
    DRAFTBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    DRAFTBRIDGE_SANDBOX: '1',
    HUBSPOT_CLIENT_SECRET: SANDBOX_HUBSPOT_SECRET,
    DRAFTBRIDGE_MAIL: options.mail ?? 'graph',
    DRAFTBRIDGE_CRM: crm,
    ...options.env,
  });
  const sandbox = await startSandbox(settings, {
    tlsDir: new URL('../../.sandbox/tls-test', import.meta.url).pathname,
  });
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
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (err) {
    await app.close();
    await ctx.close();
    await sandbox.close();
    await deletePrefix(ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX, ctx.settings.REDIS_URL);
    throw err;
  }
  const outboundByEvent = new Map<number, SentOutboundMessage>();
  const dataverseByEvent = new Map<number, SentWebhook>();
  const requests = requestStoreFor(ctx);
  const harness: PipelineHarness = {
    crm,
    sandbox,
    ctx,
    app,
    workers: undefined,
    logs,
    async startWorkers(timing = {}) {
      const quotas = new RedisRateBudget(ctx.redis, { prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX });
      harness.workers = await startWorkers(
        ctx,
        await createPorts(ctx.settings, policy, prometheusConnectorMetrics, quotas),
        { lockDurationMs: 3000, stalledIntervalMs: 1000, closeGraceMs: 20_000, ...timing },
      );
      return harness.workers;
    },
    async deliverWebhook(contactId, o = {}) {
      const eventId = o.eventId ?? ++nextEvent;
      if (crm === 'dynamics') {
        const dv = sandbox.dynamics!;
        const earlier = dataverseByEvent.get(eventId);
        if (earlier) {
          const again = await dv.redeliver(earlier);
          return { status: again.status, requestId: `dv-${earlier.correlationId}-${earlier.operationId}` };
        }
        const person = SANDBOX_CONTACTS.find((c) => c.id === contactId)!;
        const sent = await fireDataverseTrigger(dv, person, `${ctx.settings.publicUrl}/webhooks/dynamics`, {
          type: 'WebhookKey',
          key: ctx.settings.DATAVERSE_WEBHOOK_KEY!,
        });
        dataverseByEvent.set(eventId, dv.webhooks.at(-1)!);
        return { status: sent.status, requestId: sent.requestId };
      }
      if (crm === 'salesforce') {
        const sf = sandbox.salesforce!;
        const earlier = outboundByEvent.get(eventId);
        if (earlier) {
          const again = await sf.redeliver(earlier);
          return {
            status: again.status,
            requestId: `sf-${sf.orgId.slice(0, 15)}-${earlier.notificationIds[0]}`,
          };
        }
        const person = SANDBOX_CONTACTS.find((c) => c.id === contactId)!;
        const sent = await fireSalesforceTrigger(sf, person, `${ctx.settings.publicUrl}/webhooks/salesforce`);
        outboundByEvent.set(eventId, sf.outbound.at(-1)!);
        return { status: sent.status, requestId: sent.requestId };
      }
      const contact = SANDBOX_CONTACTS.find((c) => c.id === contactId);
      const type =
        o.subscriptionType ?? (contact?.properties.message ? 'contact.creation' : 'contact.propertyChange');
      const body = JSON.stringify([
        {
          eventId,
          subscriptionId: 99,
          portalId: SANDBOX_PORTAL_ID,
          appId: 1,
          occurredAt: Date.now(),
          subscriptionType: type,
          attemptNumber: o.attemptNumber ?? 0,
          objectId: Number(contactId),
          ...(type === 'contact.propertyChange'
            ? { propertyName: 'callback_requested', propertyValue: 'true' }
            : {}),
        },
      ]);
      const timestamp = Date.now();
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': String(timestamp),
          'x-hubspot-signature-v3': signV3({
            secret: SANDBOX_HUBSPOT_SECRET,
            method: 'POST',
            uri: `${ctx.settings.publicUrl}/webhooks/hubspot`,
            body,
            timestamp,
          }),
        },
      });
      return { status: res.statusCode, requestId: `hs-${SANDBOX_PORTAL_ID}-${eventId}-${contactId}` };
    },
    crmView(contactId) {
      const person = SANDBOX_CONTACTS.find((c) => c.id === contactId)!;
      if (crm === 'salesforce')
        return salesforceView(sandbox.salesforce!, {
          objectType: sandboxRecord(crm, person).type,
          contactId: sandboxRecord(crm, person).id,
        });
      if (crm === 'dynamics')
        return dataverseView(sandbox.dynamics!, {
          objectType: sandboxRecord(crm, person).type,
          contactId: sandboxRecord(crm, person).id,
        });
      const notes = sandbox.hubspot.notes
        .filter((n) => n.associations.some((a) => a.to.id === contactId))
        .map((n) => n.properties.hs_note_body!);
      return {
        status: sandbox.hubspot.contacts.get(contactId)?.properties.draftbridge_status ?? null,
        notes,
      };
    },
    injectCrm(fault) {
      if (crm === 'salesforce') sandbox.salesforce!.inject(fault);
      else if (crm === 'dynamics') sandbox.dynamics!.inject(fault);
      else sandbox.hubspot.inject(fault);
    },
    async waitForState(requestId, states, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await requests.get(requestId);
        if (record && states.includes(record.state)) return record;
        if (Date.now() > deadline)
          throw new Error(
            `request ${requestId} stayed in ${record?.state ?? '(none)'}; wanted ${states.join('|')}`,
          );
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
      for (const sim of [
        sandbox.hubspot,
        sandbox.llm,
        ...Object.values(sandbox.llmProviders),
        ...(sandbox.mail === 'graph' ? [sandbox.graph] : []),
        ...(sandbox.ews ? [sandbox.ews] : []),
      ])
        sim.clearFaults();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // mail-events always holds the hourly subscription renewal as a delayed job.
        const counts = await Promise.all(
          Object.values(ctx.queues).map((q) =>
            q.name === 'mail-events'
              ? q.getJobCounts('waiting', 'active')
              : q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
          ),
        );
        if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
        if (Date.now() > deadline) throw new Error(`queues still busy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    draftsFor(requestId) {
      if (sandbox.ews) {
        return sandbox.ews
          .itemsFor(requestId)
          .filter((i) => i.kind === 'Message')
          .map((m) => ({
            mailbox: m.mailbox,
            subject: m.subject,
            body: m.body,
            to: m.to,
            categories: m.categories,
            isDraft: m.isDraft,
          }));
      }
      if (sandbox.gmail) {
        return sandbox.gmail.messagesFor(requestId).map((m) => ({
          mailbox: m.mailbox,
          subject: m.subject,
          body: m.text,
          to: m.to,
          categories: m.labelNames.filter((n) => !/^[A-Z_]+$/.test(n)),
          isDraft: m.labelIds.has('DRAFT'),
        }));
      }
      return SANDBOX_OWNERS.flatMap((o) => sandbox.graph.mailbox(o.email).messages)
        .filter((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))
        .map((m) => ({
          mailbox: m.mailbox,
          subject: m.subject,
          body: m.body.content,
          to: m.toRecipients.map((r) => r.emailAddress.address),
          categories: m.categories,
          isDraft: m.isDraft,
        }));
    },
    personalValues() {
      const values = new Set<string>();
      for (const c of SANDBOX_CONTACTS)
        for (const k of ['firstname', 'lastname', 'email', 'phone', 'company'])
          if (c.properties[k]) values.add(c.properties[k]!);
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
/** Settings as environment variables for a worker child process (the same Redis prefix, keys and simulators). */
export function childEnv(h: PipelineHarness): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LOG_LEVEL: 'silent', DRAFTBRIDGE_SANDBOX: '1' };
  for (const [k, v] of Object.entries(h.ctx.settings)) {
    if (typeof v === 'string' && /^[A-Z_]+$/.test(k)) env[k] = v;
  }
  env.DRAFTBRIDGE_VAULT_KEY = h.ctx.keys.vault.toString('base64');
  env.DRAFTBRIDGE_AUDIT_KEY = h.ctx.keys.audit.toString('base64');
  return env;
}
