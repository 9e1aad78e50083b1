import { randomBytes, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { CallCounter, FaultInjector } from '../support.ts';
import { calendarRoutes } from './calendar.ts';
import { registerEntraRoutes } from '../entra/simulator.ts';
import { graphHooks } from './hooks.ts';
import { messageRoutes } from './messages.ts';
import {
  DEFAULT_CALENDAR_SETTINGS,
  graphError,
  newMessageId,
  type GraphSimState,
  type GraphSimulator,
  type Mailbox,
  type SimMessage,
} from './state.ts';
import { subscriptionRoutes } from './subscriptions.ts';
import { generateSimulatorTls, type SimulatorTls } from '../tls.ts';

export type { GraphSimulator, SimMessage, SimSubscription } from './state.ts';

/**
 * A local Entra ID + Microsoft Graph (v1.0 mail subset) over HTTPS, for tests and the sandbox. The
 * real MSAL (@azure/identity) and the real Graph client talk to it unchanged: OpenID metadata and the
 * v2.0 token endpoint; messages, drafts, send, sendMail, single-value extended properties ($filter and
 * $expand), subscriptions with the validation handshake, change notifications and delta; calendar
 * getSchedule, mailboxSettings and events. The routes
 * live beside it (hooks, messages, subscriptions; Entra ID from ../entra/simulator.ts); this file holds the tenant together.
 */
export async function startGraphSimulator(
  options: { port?: number; tls?: SimulatorTls; allowHttpNotificationUrls?: boolean } = {},
): Promise<GraphSimulator> {
  const material = options.tls ?? (await generateSimulatorTls());
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    https: { key: material.keyPem, cert: material.certPem },
  });
  const mailboxes = new Map<string, Mailbox>();
  const counter = new CallCounter();
  counter.attach(app);
  const state: GraphSimState = {
    origin: '',
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    allowHttpNotificationUrls: options.allowHttpNotificationUrls ?? false,
    faults: new FaultInjector(),
    tokens: new Set(),
    mailboxes,
    subscriptions: new Map(),
    inflight: new Map(),
    peak: new Map(),
    findMailbox: (user) =>
      mailboxes.get(user.toLowerCase()) ??
      [...mailboxes.values()].find((m) => m.userId === user.toLowerCase()),
    notify: (box, m, changeType) => notify(box, m, changeType),
  };

  // Tokens for Graph with the application permissions the connector needs.
  registerEntraRoutes(app, {
    origin: () => state.origin,
    resource: () => 'https://graph.microsoft.com',
    roles: ['Mail.ReadWrite', 'Mail.Send'],
    identity: state,
  });
  app.register(
    async (graph) => {
      graphHooks(graph, state);
      messageRoutes(graph, state);
      subscriptionRoutes(graph, state);
      calendarRoutes(graph, state);
      graph.setNotFoundHandler((request, reply) =>
        graphError(
          reply,
          400,
          'BadRequest',
          `Resource not found for the segment '${request.url.split('?')[0]!.split('/').pop()}'.`,
        ),
      );
    },
    { prefix: '/v1.0' },
  );

  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  state.origin = address.replace('127.0.0.1', 'localhost');
  const { tenantId, clientId, clientSecret, subscriptions, peak, faults } = state;
  const origin = state.origin;
  const findMailbox = state.findMailbox;

  const sim: GraphSimulator = {
    url: origin,
    graphBaseUrl: `${origin}/v1.0`,
    authorityHost: origin,
    tenantId,
    clientId,
    clientSecret,
    tls: material,
    requests: faults.requests,
    calls: () => counter.snapshot(),
    subscriptions,
    addMailbox(upn) {
      const box: Mailbox = {
        upn: upn.toLowerCase(),
        userId: randomUUID(),
        messages: new Map(),
        byPropertyValue: new Map(),
        events: new Map(),
        calendar: structuredClone(DEFAULT_CALENDAR_SETTINGS),
      };
      mailboxes.set(box.upn, box);
      return { upn: box.upn, userId: box.userId };
    },
    mailbox(upn) {
      const box = findMailbox(upn);
      if (!box) throw new Error(`no mailbox ${upn}`);
      return { upn: box.upn, userId: box.userId, messages: [...box.messages.values()] };
    },
    addEvent(upn, event) {
      const box = findMailbox(upn);
      if (!box) throw new Error(`no mailbox ${upn}`);
      const utc = (iso: string) => new Date(iso).toISOString().replace(/\.000Z$/, 'Z');
      const e = {
        id: `AAMkAGI${randomBytes(30).toString('base64url')}=`,
        subject: event.subject ?? 'Termin',
        start: utc(event.start),
        end: utc(event.end),
        showAs: event.showAs ?? 'busy',
        attendees: [],
        body: { contentType: 'text', content: '' },
        isOnlineMeeting: false,
        singleValueExtendedProperties: [],
      };
      box.events.set(e.id, e);
      return e;
    },
    events: (upn) => [...(findMailbox(upn)?.events.values() ?? [])],
    setCalendarSettings(upn, settings) {
      const box = findMailbox(upn);
      if (!box) throw new Error(`no mailbox ${upn}`);
      box.calendar = structuredClone(settings);
    },
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    async sendDraftAsUser(upn, messageId, options = {}) {
      const box = findMailbox(upn)!;
      const m = [...box.messages.values()].find((x) => x.id === messageId || x.immutableId === messageId);
      if (!m?.isDraft) throw new Error('not a draft');
      // Outlook moves the draft to Sent Items (the immutable id stays): Graph reports `deleted` to a
      // Drafts subscription and `created` to a Sent Items one, in no guaranteed order.
      const asDraft = { ...m };
      box.messages.delete(m.id);
      m.id = newMessageId();
      m.parentFolderId = 'sentitems';
      m.isDraft = false;
      m.sentDateTime = new Date().toISOString();
      box.messages.set(m.id, m);
      const deleted = () => notify(box, asDraft, 'deleted');
      const created = () => notify(box, m, 'created');
      const steps = options.order === 'created-first' ? [created, deleted] : [deleted, created];
      for (let i = 0; i < (options.times ?? 1); i++) {
        for (const [n, step] of steps.entries()) {
          if (n > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
          await step();
        }
      }
      return m;
    },
    async deleteAsUser(upn, messageId) {
      const box = findMailbox(upn)!;
      const m = [...box.messages.values()].find((x) => x.id === messageId || x.immutableId === messageId);
      if (!m) throw new Error('no such message');
      box.messages.delete(m.id);
      await notify(box, m, 'deleted');
    },
    async simulateReply(upn, conversationId, from, text = 'Dienstag passt.', options = {}) {
      const box = findMailbox(upn)!;
      const now = new Date().toISOString();
      const m: SimMessage = {
        id: `AAMkAD${randomBytes(30).toString('base64url')}=`,
        immutableId: `AAkALg${randomBytes(30).toString('base64url')}=`,
        mailbox: box.upn,
        parentFolderId: 'inbox',
        isDraft: false,
        subject: options.subject ?? 'AW: Termin',
        body: { contentType: 'text', content: text },
        internetMessageHeaders: [
          { name: 'Received', value: 'from mail.example.com' },
          ...(options.headers ?? []),
        ],
        toRecipients: [{ emailAddress: { address: box.upn } }],
        from: { emailAddress: { address: from } },
        categories: [],
        singleValueExtendedProperties: [],
        internetMessageId: `<${randomUUID()}@example.com>`,
        conversationId,
        createdDateTime: now,
        lastModifiedDateTime: now,
        sentDateTime: now,
        changeKey: randomBytes(12).toString('base64url'),
      };
      box.messages.set(m.id, m);
      await notify(box, m, 'created');
      return m;
    },
    async lifecycle(subscriptionId, event) {
      const sub = subscriptions.get(subscriptionId);
      if (!sub?.lifecycleNotificationUrl) throw new Error('no lifecycle url');
      await fetch(sub.lifecycleNotificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          value: [
            {
              subscriptionId,
              subscriptionExpirationDateTime: sub.expirationDateTime,
              tenantId,
              clientState: sub.clientState ?? null,
              lifecycleEvent: event,
            },
          ],
        }),
      }).catch(() => undefined);
      if (event === 'subscriptionRemoved') subscriptions.delete(subscriptionId);
    },
    peakConcurrency: (upn) => peak.get(upn.toLowerCase()) ?? 0,
    close: () => app.close(),
  };
  const notify = async (box: Mailbox, m: SimMessage, changeType: 'created' | 'updated' | 'deleted') => {
    for (const sub of subscriptions.values()) {
      const folder = sub.resource.match(/mailFolders\('(\w+)'\)/i)?.[1]?.toLowerCase();
      const user = sub.resource.match(/^\/?(?:users|Users)\/([^/]+)/)?.[1]?.toLowerCase();
      if (
        (user !== box.upn && user !== box.userId) ||
        (folder && folder !== m.parentFolderId) ||
        !sub.changeType.split(',').includes(changeType)
      )
        continue;
      await fetch(sub.notificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          value: [
            {
              subscriptionId: sub.id,
              subscriptionExpirationDateTime: sub.expirationDateTime,
              changeType,
              resource: `Users/${box.userId}/Messages/${m.immutableId}`,
              resourceData: {
                '@odata.type': '#Microsoft.Graph.Message',
                '@odata.id': `Users/${box.userId}/Messages/${m.immutableId}`,
                '@odata.etag': `W/"${m.changeKey}"`,
                id: m.immutableId,
              },
              clientState: sub.clientState ?? null,
              tenantId,
            },
          ],
        }),
        signal: AbortSignal.timeout(3000),
      }).catch(() => undefined);
    }
  };
  return sim;
}
