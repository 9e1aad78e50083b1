import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { applyTransportFault, FaultInjector, recordBody, type Fault, type RecordedRequest } from '../simulator-support.ts';
import { generateSimulatorTls, type SimulatorTls } from './tls.ts';

/**
 * A local Entra ID + Microsoft Graph (v1.0 mail subset) over HTTPS, for tests and the sandbox. The
 * real MSAL (@azure/identity) and the real Graph client talk to it unchanged: OpenID metadata and the
 * v2.0 token endpoint; messages, drafts, send, sendMail, single-value extended properties ($filter and
 * $expand), subscriptions with the validation handshake, change notifications and delta.
 */
export interface SimMessage {
  id: string;
  immutableId: string;
  mailbox: string;
  parentFolderId: 'drafts' | 'sentitems' | 'inbox' | 'deleteditems';
  isDraft: boolean;
  subject: string;
  body: { contentType: string; content: string };
  toRecipients: { emailAddress: { address: string; name?: string } }[];
  from?: { emailAddress: { address: string; name?: string } };
  categories: string[];
  singleValueExtendedProperties: { id: string; value: string }[];
  internetMessageId: string;
  conversationId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  sentDateTime: string | null;
  changeKey: string;
}

export interface SimSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: string;
}

interface Mailbox {
  upn: string;
  userId: string;
  messages: Map<string, SimMessage>;
  byPropertyValue: Map<string, Set<SimMessage>>;
}

export interface GraphSimulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  tls: SimulatorTls;
  requests: RecordedRequest[];
  subscriptions: Map<string, SimSubscription>;
  addMailbox(upn: string): { upn: string; userId: string };
  mailbox(upn: string): { upn: string; userId: string; messages: SimMessage[] };
  inject(fault: Fault): void;
  /** What the reviewer does in Outlook: send the draft (approval). */
  sendDraftAsUser(upn: string, messageId: string): Promise<SimMessage>;
  /** What the reviewer does in Outlook: delete the draft (rejection). */
  deleteAsUser(upn: string, messageId: string): Promise<void>;
  /** The lead answers: a message arrives in the inbox in the same conversation. */
  simulateReply(upn: string, conversationId: string, from: string): Promise<SimMessage>;
  lifecycle(subscriptionId: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): Promise<void>;
  /** Highest number of requests seen in flight at once for one mailbox (Graph's limit is 4). */
  peakConcurrency(upn: string): number;
  close(): Promise<void>;
}

const MAX_MESSAGE_SUBSCRIPTION_MINUTES = 4230;
const PAGE_SIZE = 10;

function graphError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } });
}

/** `singleValueExtendedProperties/any(ep: ep/id eq '…' and ep/value eq '…')` */
const EP_FILTER = /singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*\1\/id eq '((?:[^']|'')*)' and \1\/value eq '((?:[^']|'')*)'\s*\)/i;

export async function startGraphSimulator(options: { port?: number; tls?: SimulatorTls; allowHttpNotificationUrls?: boolean } = {}): Promise<GraphSimulator> {
  const material = options.tls ?? (await generateSimulatorTls());
  const app = Fastify({ logger: false, forceCloseConnections: true, https: { key: material.keyPem, cert: material.certPem } });
  const faults = new FaultInjector();
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const tokens = new Set<string>();
  const mailboxes = new Map<string, Mailbox>();
  const subscriptions = new Map<string, SimSubscription>();
  const inflight = new Map<string, number>();
  const peak = new Map<string, number>();
  let origin = '';

  const findMailbox = (user: string) => mailboxes.get(user.toLowerCase()) ?? [...mailboxes.values()].find((m) => m.userId === user.toLowerCase());

  // ---------- Entra ID ----------
  app.get('/common/discovery/instance', async (request, reply) => {
    return reply.send({
      tenant_discovery_endpoint: `${origin}/${tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: new URL(origin).host, preferred_cache: new URL(origin).host, aliases: [new URL(origin).host] }],
    });
  });
  app.get('/:tenant/v2.0/.well-known/openid-configuration', async (request: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
    const t = request.params.tenant;
    return reply.send({
      token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${origin}/${tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${origin}/oidc/userinfo`,
      authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  });
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    scope.post('/:tenant/oauth2/v2.0/token', async (request: FastifyRequest<{ Params: { tenant: string }; Body: Record<string, string> }>, reply) => {
      const form = request.body ?? {};
      let id = form.client_id;
      let secret = form.client_secret;
      const basic = request.headers.authorization?.match(/^Basic (.+)$/)?.[1];
      if (basic) [id, secret] = Buffer.from(basic, 'base64').toString().split(':');
      if (form.grant_type !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'AADSTS70003: The app requested an unsupported grant type.' });
      if (request.params.tenant !== tenantId) return reply.code(400).send({ error: 'invalid_request', error_description: `AADSTS90002: Tenant '${request.params.tenant}' not found.` });
      if (id !== clientId || secret !== clientSecret) return reply.code(401).send({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      if (!String(form.scope ?? '').endsWith('/.default')) return reply.code(400).send({ error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.' });
      const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ aud: 'https://graph.microsoft.com', iss: `${origin}/${tenantId}/`, tid: tenantId, appid: clientId, roles: ['Mail.ReadWrite', 'Mail.Send'], exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
      const token = `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
      tokens.add(token);
      return reply.send({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
    });
  });

  // ---------- Graph ----------
  app.register(
    async (graph) => {
      graph.addHook('onRequest', async (request, reply) => {
        faults.record(request);
        const user = request.url.match(/^\/v1\.0\/users\/([^/?]+)/)?.[1];
        if (user) {
          const key = decodeURIComponent(user).toLowerCase();
          const now = (inflight.get(key) ?? 0) + 1;
          inflight.set(key, now);
          peak.set(key, Math.max(peak.get(key) ?? 0, now));
          reply.raw.once('close', () => inflight.set(key, (inflight.get(key) ?? 1) - 1));
        }
        const auth = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
        if (!auth || !tokens.has(auth)) return graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
        const fault = faults.take(request);
        if (!fault) return;
        if (fault.responseDelayMs) (request as unknown as { responseDelayMs?: number }).responseDelayMs = fault.responseDelayMs;
        if (await applyTransportFault(fault, reply, '{"value":[{"id":')) return reply;
        if (fault.status === 429 || fault.status === 503) {
          reply.header('retry-after', String(fault.retryAfterSeconds ?? 1));
          return graphError(reply, fault.status, fault.status === 429 ? 'TooManyRequests' : 'ServiceNotAvailable', fault.status === 429 ? 'Application is over its MailboxConcurrency limit.' : 'Service unavailable');
        }
        if (fault.status) return graphError(reply, fault.status, 'generalException', 'General exception while processing');
      });
      graph.addHook('preHandler', async (request) => recordBody(request));
      graph.addHook('onSend', async (request) => {
        const delay = (request as unknown as { responseDelayMs?: number }).responseDelayMs;
        if (delay) await new Promise((r) => setTimeout(r, delay));
      });

      const immutable = (request: FastifyRequest) => /IdType="ImmutableId"/i.test(String(request.headers.prefer ?? ''));
      const view = (m: SimMessage, request: FastifyRequest, expand = false) => ({
        '@odata.context': `${origin}/v1.0/$metadata#users('${m.mailbox}')/messages/$entity`,
        '@odata.etag': `W/"${m.changeKey}"`,
        id: immutable(request) ? m.immutableId : m.id,
        createdDateTime: m.createdDateTime,
        lastModifiedDateTime: m.lastModifiedDateTime,
        changeKey: m.changeKey,
        categories: m.categories,
        sentDateTime: m.sentDateTime,
        hasAttachments: false,
        internetMessageId: m.internetMessageId,
        subject: m.subject,
        bodyPreview: m.body.content.slice(0, 255),
        importance: 'normal',
        parentFolderId: m.parentFolderId,
        conversationId: m.conversationId,
        isDraft: m.isDraft,
        webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.immutableId)}&exvsurl=1&viewmodel=ReadMessageItem`,
        body: m.body,
        toRecipients: m.toRecipients,
        ccRecipients: [],
        bccRecipients: [],
        from: m.from ?? null,
        ...(expand ? { singleValueExtendedProperties: m.singleValueExtendedProperties } : {}),
      });
      const messageOf = (box: Mailbox, id: string) => box.messages.get(id) ?? [...box.messages.values()].find((m) => m.immutableId === id);

      const createMessage = (box: Mailbox, body: Record<string, unknown>, folder: SimMessage['parentFolderId'], isDraft: boolean): SimMessage => {
        const now = new Date().toISOString();
        const id = `AAMkAD${randomBytes(30).toString('base64url')}=`;
        const m: SimMessage = {
          id,
          immutableId: `AAkALg${randomBytes(30).toString('base64url')}=`,
          mailbox: box.upn,
          parentFolderId: folder,
          isDraft,
          subject: String(body.subject ?? ''),
          body: (body.body as SimMessage['body']) ?? { contentType: 'text', content: '' },
          toRecipients: (body.toRecipients as SimMessage['toRecipients']) ?? [],
          from: { emailAddress: { address: box.upn } },
          categories: (body.categories as string[]) ?? [],
          singleValueExtendedProperties: (body.singleValueExtendedProperties as SimMessage['singleValueExtendedProperties']) ?? [],
          internetMessageId: `<${randomUUID()}@draftbridge.sandbox.example>`,
          conversationId: `AAQkAD${randomBytes(24).toString('base64url')}=`,
          createdDateTime: now,
          lastModifiedDateTime: now,
          sentDateTime: isDraft ? null : now,
          changeKey: randomBytes(12).toString('base64url'),
        };
        box.messages.set(id, m);
        for (const p of m.singleValueExtendedProperties) {
          if (!box.byPropertyValue.has(p.value)) box.byPropertyValue.set(p.value, new Set());
          box.byPropertyValue.get(p.value)!.add(m);
        }
        return m;
      };

      const validateMessage = (body: Record<string, unknown> | undefined): string | undefined => {
        if (!body || typeof body !== 'object') return 'Empty Payload. JSON content expected.';
        for (const ep of (body.singleValueExtendedProperties as { id?: string }[]) ?? []) {
          if (!/^String \{[0-9a-f-]{36}\} Name \w+$/i.test(ep.id ?? '')) return `Invalid extended property id '${ep.id}'.`;
        }
        return undefined;
      };

      const sendMove = async (box: Mailbox, m: SimMessage, request?: FastifyRequest) => {
        // Sending moves the item to Sent Items; without ImmutableId its REST id changes.
        box.messages.delete(m.id);
        m.id = request && immutable(request) ? m.id : `AAMkAD${randomBytes(30).toString('base64url')}=`;
        m.parentFolderId = 'sentitems';
        m.isDraft = false;
        m.sentDateTime = new Date().toISOString();
        m.changeKey = randomBytes(12).toString('base64url');
        box.messages.set(m.id, m);
        await notify(box, m, 'created');
      };

      graph.post('/users/:user/messages', async (request: FastifyRequest<{ Params: { user: string }; Body: Record<string, unknown> }>, reply) => {
        const box = findMailbox(request.params.user);
        if (!box) return graphError(reply, 404, 'ErrorInvalidUser', `The requested user '${request.params.user}' is invalid.`);
        const invalid = validateMessage(request.body);
        if (invalid) return graphError(reply, 400, 'ErrorInvalidProperty', invalid);
        const m = createMessage(box, request.body, 'drafts', true);
        await notify(box, m, 'created');
        return reply.code(201).send(view(m, request));
      });

      const list = async (request: FastifyRequest<{ Params: { user: string; folder?: string }; Querystring: Record<string, string> }>, reply: FastifyReply) => {
        const box = findMailbox(request.params.user);
        if (!box) return graphError(reply, 404, 'ErrorInvalidUser', `The requested user '${request.params.user}' is invalid.`);
        const folder = request.params.folder?.toLowerCase();
        const filter = request.query.$filter;
        let items = filter ? [] : [...box.messages.values()].filter((m) => !folder || m.parentFolderId === folder);
        if (filter) {
          const ep = EP_FILTER.exec(filter);
          if (!ep) return graphError(reply, 400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
          const [, , id, value] = ep;
          // Indexed by value (a mailbox in the sandbox bench holds thousands of drafts).
          const candidates = [...(box.byPropertyValue.get(value!.replace(/''/g, "'")) ?? [])].filter((m) => box.messages.get(m.id) === m);
          items = candidates.filter((m) => (!folder || m.parentFolderId === folder) && m.singleValueExtendedProperties.some((p) => p.id.toLowerCase() === id!.replace(/''/g, "'").toLowerCase()));
        }
        const expand = /singleValueExtendedProperties/i.test(request.query.$expand ?? '');
        return reply.send({ '@odata.context': `${origin}/v1.0/$metadata#users('${box.upn}')/messages`, value: items.map((m) => view(m, request, expand)) });
      };
      graph.get('/users/:user/messages', list);
      graph.get('/users/:user/mailFolders/:folder/messages', list);

      graph.get('/users/:user/mailFolders/:folder/messages/delta', async (request: FastifyRequest<{ Params: { user: string; folder: string }; Querystring: Record<string, string> }>, reply) => {
        const box = findMailbox(request.params.user);
        if (!box) return graphError(reply, 404, 'ErrorInvalidUser', 'The requested user is invalid.');
        const folder = request.params.folder.toLowerCase();
        const since = Number(request.query.$deltatoken ? Buffer.from(request.query.$deltatoken, 'base64url').toString() : 0);
        const skip = Number(request.query.$skiptoken ? Buffer.from(request.query.$skiptoken, 'base64url').toString() : 0);
        const changed = [...box.messages.values()].filter((m) => m.parentFolderId === folder && Date.parse(m.lastModifiedDateTime) >= since).sort((a, b) => a.createdDateTime.localeCompare(b.createdDateTime));
        const page = changed.slice(skip, skip + PAGE_SIZE);
        const base = `${origin}/v1.0/users/${request.params.user}/mailFolders/${request.params.folder}/messages/delta`;
        const more = skip + PAGE_SIZE < changed.length;
        return reply.send({
          '@odata.context': `${origin}/v1.0/$metadata#Collection(message)`,
          value: page.map((m) => view(m, request)),
          ...(more
            ? { '@odata.nextLink': `${base}?$skiptoken=${Buffer.from(String(skip + PAGE_SIZE)).toString('base64url')}${request.query.$deltatoken ? `&$deltatoken=${request.query.$deltatoken}` : ''}` }
            : { '@odata.deltaLink': `${base}?$deltatoken=${Buffer.from(String(Date.now())).toString('base64url')}` }),
        });
      });

      graph.get('/users/:user/messages/:id', async (request: FastifyRequest<{ Params: { user: string; id: string }; Querystring: Record<string, string> }>, reply) => {
        const box = findMailbox(request.params.user);
        const m = box && messageOf(box, request.params.id);
        if (!box || !m) return graphError(reply, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        return reply.send(view(m, request, /singleValueExtendedProperties/i.test(request.query.$expand ?? '')));
      });

      graph.post('/users/:user/messages/:id/send', async (request: FastifyRequest<{ Params: { user: string; id: string } }>, reply) => {
        const box = findMailbox(request.params.user);
        const m = box && messageOf(box, request.params.id);
        if (!box || !m) return graphError(reply, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        if (!m.isDraft) return graphError(reply, 400, 'ErrorInvalidOperation', 'Only draft messages can be sent.');
        await sendMove(box, m, request);
        return reply.code(202).send();
      });

      graph.delete('/users/:user/messages/:id', async (request: FastifyRequest<{ Params: { user: string; id: string } }>, reply) => {
        const box = findMailbox(request.params.user);
        const m = box && messageOf(box, request.params.id);
        if (!box || !m) return graphError(reply, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        box.messages.delete(m.id);
        await notify(box, m, 'deleted');
        return reply.code(204).send();
      });

      graph.post('/users/:user/sendMail', async (request: FastifyRequest<{ Params: { user: string }; Body: { message?: Record<string, unknown>; saveToSentItems?: boolean } }>, reply) => {
        const box = findMailbox(request.params.user);
        if (!box) return graphError(reply, 404, 'ErrorInvalidUser', `The requested user '${request.params.user}' is invalid.`);
        const invalid = validateMessage(request.body?.message);
        if (invalid) return graphError(reply, 400, 'ErrorInvalidProperty', invalid);
        if (!((request.body?.message?.toRecipients as unknown[]) ?? []).length) return graphError(reply, 400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
        const m = createMessage(box, request.body!.message!, 'sentitems', false);
        if (request.body?.saveToSentItems === false) box.messages.delete(m.id);
        else await notify(box, m, 'created');
        return reply.code(202).send();
      });

      graph.post('/subscriptions', async (request: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
        const b = request.body ?? {};
        for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
          if (!b[field]) return graphError(reply, 400, 'InvalidRequest', `Subscription property '${field}' is required.`);
        }
        const httpsOnly = (u: string) => u.startsWith('https://') || (options.allowHttpNotificationUrls && /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u));
        if (!httpsOnly(b.notificationUrl!)) return graphError(reply, 400, 'ValidationError', 'The Notification Url must be a valid https url.');
        if (b.lifecycleNotificationUrl && !httpsOnly(b.lifecycleNotificationUrl)) return graphError(reply, 400, 'ValidationError', 'The lifecycle notification url must be a valid https url.');
        if ((b.clientState ?? '').length > 128) return graphError(reply, 400, 'ValidationError', 'clientState must be at most 128 characters.');
        const minutes = (Date.parse(b.expirationDateTime!) - Date.now()) / 60_000;
        if (!(minutes > 0) || minutes > MAX_MESSAGE_SUBSCRIPTION_MINUTES) return graphError(reply, 400, 'InvalidRequest', `Subscription expiration can only be ${MAX_MESSAGE_SUBSCRIPTION_MINUTES} minutes in the future.`);
        // The validation handshake: the endpoint must echo the token as text/plain within 10 s.
        const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
        const ok = await fetch(`${b.notificationUrl}${b.notificationUrl!.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(10_000) })
          .then(async (r) => r.status === 200 && /^text\/plain/.test(r.headers.get('content-type') ?? '') && (await r.text()) === token)
          .catch(() => false);
        if (!ok) return graphError(reply, 400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
        const sub: SimSubscription = { id: randomUUID(), resource: b.resource!, changeType: b.changeType!, notificationUrl: b.notificationUrl!, ...(b.lifecycleNotificationUrl ? { lifecycleNotificationUrl: b.lifecycleNotificationUrl } : {}), ...(b.clientState ? { clientState: b.clientState } : {}), expirationDateTime: new Date(b.expirationDateTime!).toISOString() };
        subscriptions.set(sub.id, sub);
        return reply.code(201).send({ '@odata.context': `${origin}/v1.0/$metadata#subscriptions/$entity`, ...sub, applicationId: clientId, creatorId: randomUUID(), includeResourceData: false, latestSupportedTlsVersion: 'v1_2', encryptionCertificate: null, encryptionCertificateId: null, notificationUrlAppId: null });
      });
      graph.patch('/subscriptions/:id', async (request: FastifyRequest<{ Params: { id: string }; Body: { expirationDateTime?: string } }>, reply) => {
        const sub = subscriptions.get(request.params.id);
        if (!sub) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
        const minutes = (Date.parse(request.body?.expirationDateTime ?? '') - Date.now()) / 60_000;
        if (!(minutes > 0) || minutes > MAX_MESSAGE_SUBSCRIPTION_MINUTES) return graphError(reply, 400, 'InvalidRequest', `Subscription expiration can only be ${MAX_MESSAGE_SUBSCRIPTION_MINUTES} minutes in the future.`);
        sub.expirationDateTime = new Date(request.body!.expirationDateTime!).toISOString();
        return reply.send({ '@odata.context': `${origin}/v1.0/$metadata#subscriptions/$entity`, ...sub });
      });
      graph.delete('/subscriptions/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        if (!subscriptions.delete(request.params.id)) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
        return reply.code(204).send();
      });
      graph.setNotFoundHandler((request, reply) => graphError(reply, 400, 'BadRequest', `Resource not found for the segment '${request.url.split('?')[0]!.split('/').pop()}'.`));
    },
    { prefix: '/v1.0' },
  );

  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  origin = address.replace('127.0.0.1', 'localhost');

  const sim: GraphSimulator = {
    url: origin,
    graphBaseUrl: `${origin}/v1.0`,
    authorityHost: origin,
    tenantId,
    clientId,
    clientSecret,
    tls: material,
    requests: faults.requests,
    subscriptions,
    addMailbox(upn) {
      const box: Mailbox = { upn: upn.toLowerCase(), userId: randomUUID(), messages: new Map(), byPropertyValue: new Map() };
      mailboxes.set(box.upn, box);
      return { upn: box.upn, userId: box.userId };
    },
    mailbox(upn) {
      const box = findMailbox(upn);
      if (!box) throw new Error(`no mailbox ${upn}`);
      return { upn: box.upn, userId: box.userId, messages: [...box.messages.values()] };
    },
    inject: (fault) => faults.add(fault),
    async sendDraftAsUser(upn, messageId) {
      const box = findMailbox(upn)!;
      const m = [...box.messages.values()].find((x) => x.id === messageId || x.immutableId === messageId);
      if (!m?.isDraft) throw new Error('not a draft');
      box.messages.delete(m.id);
      m.id = `AAMkAD${randomBytes(30).toString('base64url')}=`;
      m.parentFolderId = 'sentitems';
      m.isDraft = false;
      m.sentDateTime = new Date().toISOString();
      box.messages.set(m.id, m);
      await notify(box, m, 'created');
      return m;
    },
    async deleteAsUser(upn, messageId) {
      const box = findMailbox(upn)!;
      const m = [...box.messages.values()].find((x) => x.id === messageId || x.immutableId === messageId);
      if (!m) throw new Error('no such message');
      box.messages.delete(m.id);
      await notify(box, m, 'deleted');
    },
    async simulateReply(upn, conversationId, from) {
      const box = findMailbox(upn)!;
      const now = new Date().toISOString();
      const m: SimMessage = { id: `AAMkAD${randomBytes(30).toString('base64url')}=`, immutableId: `AAkALg${randomBytes(30).toString('base64url')}=`, mailbox: box.upn, parentFolderId: 'inbox', isDraft: false, subject: 'AW: Termin', body: { contentType: 'text', content: 'Dienstag passt.' }, toRecipients: [{ emailAddress: { address: box.upn } }], from: { emailAddress: { address: from } }, categories: [], singleValueExtendedProperties: [], internetMessageId: `<${randomUUID()}@example.com>`, conversationId, createdDateTime: now, lastModifiedDateTime: now, sentDateTime: now, changeKey: randomBytes(12).toString('base64url') };
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
        body: JSON.stringify({ value: [{ subscriptionId, subscriptionExpirationDateTime: sub.expirationDateTime, tenantId, clientState: sub.clientState ?? null, lifecycleEvent: event }] }),
      }).catch(() => undefined);
      if (event === 'subscriptionRemoved') subscriptions.delete(subscriptionId);
    },
    peakConcurrency: (upn) => peak.get(upn.toLowerCase()) ?? 0,
    close: () => app.close(),
  };
  /** Change notifications with Graph's payload to every subscription whose resource covers the message. */
  const notify = async (box: Mailbox, m: SimMessage, changeType: 'created' | 'updated' | 'deleted') => {
    for (const sub of subscriptions.values()) {
      const folder = sub.resource.match(/mailFolders\('(\w+)'\)/i)?.[1]?.toLowerCase();
      const user = sub.resource.match(/^\/?(?:users|Users)\/([^/]+)/)?.[1]?.toLowerCase();
      if ((user !== box.upn && user !== box.userId) || (folder && folder !== m.parentFolderId) || !sub.changeType.split(',').includes(changeType)) continue;
      await fetch(sub.notificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: [{ subscriptionId: sub.id, subscriptionExpirationDateTime: sub.expirationDateTime, changeType, resource: `Users/${box.userId}/Messages/${m.immutableId}`, resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': `Users/${box.userId}/Messages/${m.immutableId}`, '@odata.etag': `W/"${m.changeKey}"`, id: m.immutableId }, clientState: sub.clientState ?? null, tenantId }] }),
        signal: AbortSignal.timeout(3000),
      }).catch(() => undefined);
    }
  };
  return sim;
}
