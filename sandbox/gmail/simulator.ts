import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import jws from 'jws';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { generate } from 'selfsigned';
import { z } from 'zod';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../support.ts';
import { ALL_CALENDAR_SCOPES, registerCalendar, type CalendarGrant, type SimCalendar } from './calendar.ts';

/**
 * A local Google: the OAuth token endpoint (JWT-bearer grant, the assertion checked against the
 * service account's public key, `sub` must be a mailbox of the domain), the Gmail API v1 subset the
 * connector uses (drafts, messages, labels, history with 404 for ids too old, watch/stop, profile),
 * the v1 certs endpoint, and a Pub/Sub push sender that signs OIDC JWTs with its own key. The official
 * client runs unchanged against it. Uploaded MIME is parsed with mailparser to keep headers and threads.
 * Faults: `{status: 429}` answers 429 rateLimitExceeded, `{status: 403}` 403 userRateLimitExceeded.
 */
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const LIBRARY_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const GMAIL_SCOPES = [
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://mail.google.com/',
];
const SYSTEM_LABELS = [
  'INBOX',
  'SENT',
  'DRAFT',
  'TRASH',
  'SPAM',
  'STARRED',
  'IMPORTANT',
  'UNREAD',
  'CHAT',
  'CATEGORY_PERSONAL',
  'CATEGORY_SOCIAL',
  'CATEGORY_PROMOTIONS',
  'CATEGORY_UPDATES',
  'CATEGORY_FORUMS',
];
const WATCH_MS = 7 * 86_400_000;
/** The JWT-bearer assertion a service account signs (RFC 7523, Google's claim set). */
const AssertionClaims = z.object({
  iss: z.string(),
  aud: z.string(),
  scope: z.string(),
  exp: z.number(),
  iat: z.number(),
  sub: z.string().optional(),
});

export interface SimGmailMessage {
  id: string;
  threadId: string;
  labelIds: Set<string>;
  raw: Buffer;
  headers: { name: string; value: string }[];
  subject: string;
  from: string;
  to: string[];
  text: string;
  messageIdHeader: string | null;
  internalDate: number;
  historyId: number;
}

interface HistoryRecord {
  id: number;
  messages: { id: string; threadId: string }[];
  messagesAdded?: { message: { id: string; threadId: string; labelIds: string[] } }[];
  messagesDeleted?: { message: { id: string; threadId: string; labelIds: string[] } }[];
  labelsAdded?: { message: { id: string; threadId: string; labelIds: string[] }; labelIds: string[] }[];
  labelsRemoved?: { message: { id: string; threadId: string; labelIds: string[] }; labelIds: string[] }[];
}

interface SimMailbox {
  address: string;
  messages: Map<string, SimGmailMessage>;
  drafts: Map<string, string>;
  labels: Map<
    string,
    {
      id: string;
      name: string;
      type: 'system' | 'user';
      messageListVisibility?: string;
      labelListVisibility?: string;
    }
  >;
  history: HistoryRecord[];
  historyId: number;
  /** history.list answers 404 for a startHistoryId below this. */
  oldestHistoryId: number;
  watch: { topicName: string; expiration: number } | null;
  pushTimer: NodeJS.Timeout | null;
}

export interface PushConfig {
  endpoint: string;
  audience: string;
  serviceAccount: string;
}

export interface GmailSimulator {
  url: string;
  /** GMAIL_API_ROOT_URL */
  rootUrl: string;
  tokenUrl: string;
  certsUrl: string;
  /** The service account's key file (JSON), as the Cloud console downloads it. */
  serviceAccountKey: string;
  topicName: string;
  requests: RecordedRequest[];
  /** Every push delivered, with the status our endpoint answered. */
  pushes: { emailAddress: string; historyId: number; status: number }[];
  addMailbox(address: string): void;
  mailbox(address: string): {
    address: string;
    messages: SimGmailMessage[];
    drafts: Map<string, string>;
    watch: { topicName: string; expiration: number } | null;
    historyId: number;
    labelNames: Map<string, string>;
  };
  /** The messages carrying this X-Draftbridge-Request header. */
  messagesFor(requestId: string): (SimGmailMessage & { mailbox: string; labelNames: string[] })[];
  inject(fault: Fault): void;
  configurePush(config: PushConfig): void;
  /** An OIDC token as Pub/Sub signs it (claims overridable, e.g. for expired or wrong-audience tests). */
  signPushToken(claims?: Record<string, unknown>): string;
  /** Sends a push for the mailbox's current history id now (Pub/Sub delivers at least once). */
  push(address: string): Promise<number>;
  /**
   * The reviewer presses Send on the draft in Gmail. By default the draft's deletion and the SENT
   * message land together; `order` + `gapMs` split them into two history records (and pushes) that
   * far apart, and `times` repeats the last push (Pub/Sub delivers at least once).
   */
  sendDraftAsUser(
    address: string,
    messageId: string,
    options?: { order?: 'deleted-first' | 'created-first'; gapMs?: number; times?: number },
  ): Promise<SimGmailMessage>;
  /** The reviewer edits the draft in Gmail: same draft id, a new message id (as Gmail does on every save). */
  editDraftAsUser(address: string, messageId: string, body: string): Promise<SimGmailMessage>;
  /** The reviewer discards the draft in Gmail. */
  deleteDraftAsUser(address: string, messageId: string): Promise<void>;
  /** The lead answers in the thread. */
  simulateReply(
    address: string,
    threadId: string,
    from: string,
    options?: { text?: string; subject?: string; headers?: Record<string, string> },
  ): Promise<SimGmailMessage>;
  /** The mailboxes' Google calendars (free/busy, bookings, holds). */
  calendar: SimCalendar;
  /** Gmail forgets history before now: older startHistoryIds answer 404. */
  expireHistory(address: string): void;
  close(): Promise<void>;
}

function gmailError(
  reply: FastifyReply,
  code: number,
  status: string,
  message: string,
  reason: string,
  domain = 'global',
) {
  return reply
    .code(code)
    .type('application/json; charset=UTF-8')
    .send({ error: { code, message, errors: [{ message, domain, reason }], status } });
}

const hexId = () => randomBytes(8).toString('hex').replace(/^0/, '1');

export async function startGmailSimulator(
  options: {
    port?: number;
    pushDelayMs?: number;
    /** Gmail may answer with fewer results than asked: cap pages to exercise paging. */ maxPageSize?: number;
  } = {},
): Promise<GmailSimulator> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 36 * 1024 * 1024 });
  const faults = new FaultInjector();
  const mailboxes = new Map<string, SimMailbox>();
  const tokens = new Map<string, CalendarGrant>();
  const pushes: GmailSimulator['pushes'] = [];
  let push: PushConfig | null = null;

  // The service account (its key file is what the operator downloads) and Pub/Sub's signing key.
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const saKeyId = randomBytes(20).toString('hex'); // private_key_id in the key file
  const saEmail = 'draftbridge-mail@draftbridge-sandbox.test';
  const saClientId = String(randomInt(10 ** 11, 10 ** 12 - 1)) + String(randomInt(10 ** 8, 10 ** 9 - 1));
  const pushSigner = await generate([{ name: 'commonName', value: 'pubsub push signer (simulated)' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
  });
  const pushKid = randomBytes(20).toString('hex');
  const topicName = 'projects/draftbridge-sandbox/topics/gmail-approvals';
  const pushSubject = String(randomInt(10 ** 11, 10 ** 12 - 1));

  const findMailbox = (id: string) => mailboxes.get(id.toLowerCase());
  const nextHistory = (box: SimMailbox) => (box.historyId += randomInt(1, 40));

  function record(
    box: SimMailbox,
    entry: Omit<HistoryRecord, 'id' | 'messages'>,
    message: SimGmailMessage,
  ): void {
    const id = nextHistory(box);
    message.historyId = id;
    box.history.push({ id, messages: [{ id: message.id, threadId: message.threadId }], ...entry });
    schedulePush(box);
  }
  const minimal = (m: SimGmailMessage) => ({ id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] });

  // ---------- Pub/Sub push (at least once, about one per second per user at most) ----------
  function signPushToken(claims: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      aud: push?.audience ?? 'unset',
      azp: pushSubject,
      email: push?.serviceAccount ?? 'unset',
      email_verified: true,
      exp: now + 3600,
      iat: now,
      iss: 'https://accounts.google.com',
      sub: pushSubject,
      ...claims,
    };
    return jws.sign({
      header: { alg: 'RS256', kid: pushKid, typ: 'JWT' },
      payload,
      privateKey: pushSigner.private,
    });
  }
  async function deliver(box: SimMailbox): Promise<number> {
    if (!push || !box.watch || box.watch.expiration < Date.now()) return 0;
    const data = Buffer.from(
      JSON.stringify({ emailAddress: box.address, historyId: box.historyId }),
    ).toString('base64');
    const messageId = String(randomInt(10 ** 13, 10 ** 14));
    const publishTime = new Date().toISOString();
    const body = {
      message: { data, messageId, message_id: messageId, publishTime, publish_time: publishTime },
      subscription: 'projects/draftbridge-sandbox/subscriptions/gmail-approvals-push',
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const status = await fetch(push.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${signPushToken()}`,
          'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
        },
        body: JSON.stringify(body),
      }).then(
        (r) => r.status,
        () => 0,
      );
      pushes.push({ emailAddress: box.address, historyId: box.historyId, status });
      // Pub/Sub treats 102, 200, 201, 202 and 204 as an acknowledgement; anything else is redelivered.
      if ([102, 200, 201, 202, 204].includes(status)) return status;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
    return 0;
  }
  function schedulePush(box: SimMailbox): void {
    if (!push || !box.watch || box.pushTimer) return;
    box.pushTimer = setTimeout(() => {
      box.pushTimer = null;
      void deliver(box);
    }, options.pushDelayMs ?? 50);
  }

  // ---------- messages ----------
  async function store(
    box: SimMailbox,
    raw: Buffer,
    labels: string[],
    threadId?: string,
  ): Promise<SimGmailMessage> {
    const parsed = await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
    });
    const headers = parsed.headerLines.map((h) => ({
      name: h.line.slice(0, h.line.indexOf(':')),
      value: h.line
        .slice(h.line.indexOf(':') + 1)
        .replace(/\r?\n\s+/g, ' ')
        .trim(),
    }));
    const refs = [
      parsed.inReplyTo,
      ...(Array.isArray(parsed.references)
        ? parsed.references
        : parsed.references
          ? [parsed.references]
          : []),
    ].filter((v): v is string => Boolean(v));
    const related = [...box.messages.values()].find(
      (m) => m.messageIdHeader && refs.includes(m.messageIdHeader),
    );
    const addresses = (v: typeof parsed.to) =>
      (Array.isArray(v) ? v : v ? [v] : []).flatMap((a) => a.value.map((x) => x.address ?? ''));
    const message: SimGmailMessage = {
      id: hexId(),
      threadId: threadId ?? related?.threadId ?? hexId(),
      labelIds: new Set(labels),
      raw,
      headers,
      subject: parsed.subject ?? '',
      from: parsed.from?.value[0]?.address ?? '',
      to: addresses(parsed.to),
      text: parsed.text ?? '',
      messageIdHeader: parsed.messageId ?? null,
      internalDate: Date.now(),
      historyId: 0,
    };
    box.messages.set(message.id, message);
    record(box, { messagesAdded: [{ message: minimal(message) }] }, message);
    return message;
  }
  function remove(box: SimMailbox, message: SimGmailMessage): void {
    box.messages.delete(message.id);
    record(box, { messagesDeleted: [{ message: minimal(message) }] }, message);
  }
  function relabel(box: SimMailbox, message: SimGmailMessage, add: string[], removeIds: string[]): void {
    const added = add.filter((l) => !message.labelIds.has(l));
    const removed = removeIds.filter((l) => message.labelIds.has(l));
    for (const l of added) message.labelIds.add(l);
    for (const l of removed) message.labelIds.delete(l);
    if (added.length) record(box, { labelsAdded: [{ message: minimal(message), labelIds: added }] }, message);
    if (removed.length)
      record(box, { labelsRemoved: [{ message: minimal(message), labelIds: removed }] }, message);
  }
  /** Sending a draft: the draft's message goes, a sent message with a new id takes its place in the thread. */
  async function sendDraft(box: SimMailbox, draftId: string): Promise<SimGmailMessage> {
    const message = box.messages.get(box.drafts.get(draftId)!)!;
    box.drafts.delete(draftId);
    remove(box, message);
    const userLabels = [...message.labelIds].filter((l) => !SYSTEM_LABELS.includes(l));
    return store(box, message.raw, ['SENT', ...userLabels], message.threadId);
  }

  function view(m: SimGmailMessage, format: string, metadataHeaders: string[]) {
    const base = {
      id: m.id,
      threadId: m.threadId,
      labelIds: [...m.labelIds],
      snippet: m.text.slice(0, 100).replace(/\s+/g, ' ').trim(),
      sizeEstimate: m.raw.length,
      historyId: String(m.historyId),
      internalDate: String(m.internalDate),
    };
    if (format === 'minimal') return base;
    if (format === 'raw') return { ...base, raw: m.raw.toString('base64url') };
    const wanted = metadataHeaders.map((h) => h.toLowerCase());
    const headers =
      format === 'metadata' && wanted.length > 0
        ? m.headers.filter((h) => wanted.includes(h.name.toLowerCase()))
        : m.headers;
    const mimeType =
      m.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value.split(';')[0] ?? 'text/plain';
    const payload =
      format === 'metadata'
        ? { mimeType, headers }
        : {
            partId: '',
            mimeType,
            filename: '',
            headers,
            body: { size: Buffer.byteLength(m.text), data: Buffer.from(m.text).toString('base64url') },
          };
    return { ...base, payload };
  }

  /** The Gmail search operators the connector uses: rfc822msgid:, label:, in:drafts / in:sent. */
  function matches(m: SimGmailMessage, q: string | undefined, box: SimMailbox): boolean {
    if (!q) return true;
    return q
      .split(/\s+/)
      .filter(Boolean)
      .every((term) => {
        const [op, ...rest] = term.split(':');
        const value = rest.join(':').replace(/^<|>$/g, '');
        if (op === 'rfc822msgid') return (m.messageIdHeader ?? '').replace(/^<|>$/g, '') === value;
        if (op === 'label')
          return [...m.labelIds].some(
            (id) =>
              box.labels.get(id)?.name.toLowerCase().replace(/\s+/g, '-') === value.toLowerCase() ||
              id.toLowerCase() === value.toLowerCase(),
          );
        if (op === 'in')
          return m.labelIds.has(value.toUpperCase() === 'DRAFTS' ? 'DRAFT' : value.toUpperCase());
        return m.text.includes(term) || m.subject.includes(term);
      });
  }
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const page = <T>(items: T[], pageToken: unknown, max: unknown) => {
    const start = Number(pageToken ?? 0) || 0;
    const size = Math.min(Number(max ?? 100) || 100, options.maxPageSize ?? 500);
    const slice = items.slice(start, start + size);
    return { slice, next: start + size < items.length ? String(start + size) : undefined };
  };

  // ---------- OAuth: the JWT-bearer grant ----------
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post('/token', async (request: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
      faults.record(request);
      const form = request.body ?? {};
      if (form.grant_type !== JWT_BEARER)
        return reply.code(400).send({
          error: 'unsupported_grant_type',
          error_description: 'Invalid grant_type: ' + (form.grant_type ?? ''),
        });
      // google-auth-library's assertion names no kid: Google finds the key by `iss` (the service account).
      const assertion = form.assertion ?? '';
      const valid = (() => {
        try {
          return jws.verify(assertion, 'RS256', sa.publicKey);
        } catch {
          return false;
        }
      })();
      if (!valid)
        return reply.code(400).send({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      const payload = AssertionClaims.safeParse(jws.decode(assertion, { json: true })?.payload);
      const now = Math.floor(Date.now() / 1000);
      if (
        !payload.success ||
        payload.data.iss !== saEmail ||
        payload.data.aud !== LIBRARY_TOKEN_AUDIENCE ||
        payload.data.exp < now ||
        payload.data.exp - payload.data.iat > 3600 ||
        payload.data.iat > now + 300
      ) {
        return reply.code(400).send({
          error: 'invalid_grant',
          error_description:
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
        });
      }
      const scopes = payload.data.scope.split(' ');
      const box = payload.data.sub ? findMailbox(payload.data.sub) : undefined;
      if (!box || !scopes.some((s) => GMAIL_SCOPES.includes(s) || ALL_CALENDAR_SCOPES.includes(s))) {
        return reply.code(401).send({
          error: 'unauthorized_client',
          error_description:
            'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        });
      }
      const token = `ya29.c.${randomBytes(48).toString('base64url')}`;
      tokens.set(token, { mailbox: box.address, expires: Date.now() + 3_600_000, scopes });
      return reply.send({ access_token: token, expires_in: 3599, token_type: 'Bearer' });
    });
  });

  // ---------- Google's push-signing certificates (v1: kid → PEM certificate) ----------
  app.get('/oauth2/v1/certs', async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=19800, must-revalidate, no-transform')
      .send({ [pushKid]: pushSigner.cert }),
  );

  // ---------- Gmail API v1 ----------
  app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        faults.record(request);
        const auth = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
        const grant = auth ? tokens.get(auth) : undefined;
        if (!grant || grant.expires < Date.now()) {
          return gmailError(
            reply,
            401,
            'UNAUTHENTICATED',
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            'authError',
          );
        }
        const userId = decodeURIComponent(request.url.match(/^\/gmail\/v1\/users\/([^/?]+)/)?.[1] ?? '');
        if (userId !== 'me' && userId.toLowerCase() !== grant.mailbox)
          return gmailError(
            reply,
            403,
            'PERMISSION_DENIED',
            'Delegation denied for ' + grant.mailbox,
            'forbidden',
          );
        if (!grant.scopes.some((s) => GMAIL_SCOPES.includes(s)))
          return gmailError(
            reply,
            403,
            'PERMISSION_DENIED',
            'Request had insufficient authentication scopes.',
            'insufficientPermissions',
          );
        (request as unknown as { mailbox: SimMailbox }).mailbox = findMailbox(grant.mailbox)!;
        const fault = faults.take(request);
        if (!fault) return;
        if (fault.responseDelayMs)
          (request as unknown as { responseDelayMs?: number }).responseDelayMs = fault.responseDelayMs;
        if (await applyTransportFault(fault, reply, '{"id":')) return reply;
        if (fault.retryAfterSeconds !== undefined)
          reply.header('retry-after', String(fault.retryAfterSeconds));
        if (fault.status === 429)
          return gmailError(
            reply,
            429,
            'RESOURCE_EXHAUSTED',
            'Too many concurrent requests for user.',
            'rateLimitExceeded',
          );
        if (fault.status === 403)
          return gmailError(
            reply,
            403,
            'PERMISSION_DENIED',
            'User-rate limit exceeded.  Retry after ' + new Date(Date.now() + 1000).toISOString(),
            'userRateLimitExceeded',
            'usageLimits',
          );
        if (fault.status)
          return gmailError(
            reply,
            fault.status,
            fault.status >= 500 ? 'UNAVAILABLE' : 'INVALID_ARGUMENT',
            'Backend Error',
            fault.status >= 500 ? 'backendError' : 'invalid',
          );
      });
      api.addHook('preHandler', async (request) => recordBody(request));
      api.addHook('onSend', async (request) => {
        const delay = (request as unknown as { responseDelayMs?: number }).responseDelayMs;
        if (delay) await new Promise((r) => setTimeout(r, delay));
      });
      const boxOf = (request: FastifyRequest) => (request as unknown as { mailbox: SimMailbox }).mailbox;
      type Q = Record<string, string | string[] | undefined>;
      const rawOf = (body: unknown): Buffer | null => {
        const raw = (body as { raw?: unknown } | undefined)?.raw;
        return typeof raw === 'string' && raw.length > 0 ? Buffer.from(raw, 'base64url') : null;
      };
      const notFound = (reply: FastifyReply) =>
        gmailError(reply, 404, 'NOT_FOUND', 'Requested entity was not found.', 'notFound');

      api.get('/users/:userId/profile', async (request) => {
        const box = boxOf(request);
        return {
          emailAddress: box.address,
          messagesTotal: box.messages.size,
          threadsTotal: new Set([...box.messages.values()].map((m) => m.threadId)).size,
          historyId: String(box.historyId),
        };
      });

      // drafts
      api.post('/users/:userId/drafts', async (request, reply) => {
        const box = boxOf(request);
        const raw = rawOf((request.body as { message?: unknown } | undefined)?.message);
        if (!raw) return gmailError(reply, 400, 'INVALID_ARGUMENT', 'Invalid draft', 'invalidArgument');
        const threadId = (request.body as { message?: { threadId?: string } }).message?.threadId;
        const message = await store(
          box,
          raw,
          ['DRAFT'],
          threadId && [...box.messages.values()].some((m) => m.threadId === threadId) ? threadId : undefined,
        );
        const id = `r${randomInt(10 ** 13, 2 ** 47)}`;
        box.drafts.set(id, message.id);
        return { id, message: minimal(message) };
      });
      api.get('/users/:userId/drafts', async (request) => {
        const box = boxOf(request);
        const q = request.query as Q;
        const all = [...box.drafts.entries()]
          .map(([id, mid]) => ({ id, m: box.messages.get(mid)! }))
          .filter((d) => matches(d.m, q.q as string | undefined, box));
        const { slice, next } = page(all, q.pageToken, q.maxResults);
        return {
          ...(slice.length
            ? { drafts: slice.map((d) => ({ id: d.id, message: { id: d.m.id, threadId: d.m.threadId } })) }
            : {}),
          resultSizeEstimate: all.length,
          ...(next ? { nextPageToken: next } : {}),
        };
      });
      api.get(
        '/users/:userId/drafts/:id',
        async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const box = boxOf(request);
          const mid = box.drafts.get(request.params.id);
          if (!mid) return notFound(reply);
          const q = request.query as Q;
          return {
            id: request.params.id,
            message: view(box.messages.get(mid)!, String(q.format ?? 'full'), []),
          };
        },
      );
      api.delete(
        '/users/:userId/drafts/:id',
        async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const box = boxOf(request);
          const mid = box.drafts.get(request.params.id);
          if (!mid) return notFound(reply);
          box.drafts.delete(request.params.id);
          remove(box, box.messages.get(mid)!);
          return reply.code(204).send();
        },
      );
      api.post('/users/:userId/drafts/send', async (request, reply) => {
        const box = boxOf(request);
        const id = (request.body as { id?: string } | undefined)?.id;
        if (!id || !box.drafts.has(id)) return notFound(reply);
        return minimal(await sendDraft(box, id));
      });

      // messages
      api.get('/users/:userId/messages', async (request) => {
        const box = boxOf(request);
        const q = request.query as Q;
        const labelIds = list(q.labelIds);
        const spamTrash = q.includeSpamTrash === 'true';
        const all = [...box.messages.values()]
          .filter((m) => spamTrash || (!m.labelIds.has('SPAM') && !m.labelIds.has('TRASH')))
          .filter((m) => labelIds.every((l) => m.labelIds.has(l)))
          .filter((m) => matches(m, q.q as string | undefined, box))
          .sort((a, b) => b.internalDate - a.internalDate);
        const { slice, next } = page(all, q.pageToken, q.maxResults);
        return {
          ...(slice.length ? { messages: slice.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
          resultSizeEstimate: all.length,
          ...(next ? { nextPageToken: next } : {}),
        };
      });
      api.get(
        '/users/:userId/messages/:id',
        async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const box = boxOf(request);
          const m = box.messages.get(request.params.id);
          if (!m) return notFound(reply);
          const q = request.query as Q;
          return view(m, String(q.format ?? 'full'), list(q.metadataHeaders));
        },
      );
      api.post('/users/:userId/messages/send', async (request, reply) => {
        const box = boxOf(request);
        const raw = rawOf(request.body);
        if (!raw)
          return gmailError(
            reply,
            400,
            'INVALID_ARGUMENT',
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            'invalidArgument',
          );
        return minimal(await store(box, raw, ['SENT']));
      });
      api.post(
        '/users/:userId/messages/:id/modify',
        async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const box = boxOf(request);
          const m = box.messages.get(request.params.id);
          if (!m) return notFound(reply);
          const body = (request.body ?? {}) as { addLabelIds?: string[]; removeLabelIds?: string[] };
          const unknown = [...(body.addLabelIds ?? []), ...(body.removeLabelIds ?? [])].find(
            (l) => !box.labels.has(l),
          );
          if (unknown)
            return gmailError(reply, 400, 'INVALID_ARGUMENT', `Invalid label: ${unknown}`, 'invalidArgument');
          relabel(box, m, body.addLabelIds ?? [], body.removeLabelIds ?? []);
          return minimal(m);
        },
      );

      // labels
      api.get('/users/:userId/labels', async (request) => ({ labels: [...boxOf(request).labels.values()] }));
      api.post('/users/:userId/labels', async (request, reply) => {
        const box = boxOf(request);
        const body = (request.body ?? {}) as {
          name?: string;
          messageListVisibility?: string;
          labelListVisibility?: string;
        };
        if (!body.name)
          return gmailError(reply, 400, 'INVALID_ARGUMENT', 'Invalid label name', 'invalidArgument');
        if ([...box.labels.values()].some((l) => l.name.toLowerCase() === body.name!.toLowerCase()))
          return gmailError(reply, 409, 'ALREADY_EXISTS', 'Label name exists or conflicts', 'alreadyExists');
        const label = {
          id: `Label_${box.labels.size - SYSTEM_LABELS.length + 1}`,
          name: body.name,
          type: 'user' as const,
          messageListVisibility: body.messageListVisibility ?? 'show',
          labelListVisibility: body.labelListVisibility ?? 'labelShow',
        };
        box.labels.set(label.id, label);
        return label;
      });

      // history
      api.get('/users/:userId/history', async (request, reply) => {
        const box = boxOf(request);
        const q = request.query as Q;
        const start = Number(q.startHistoryId);
        if (!q.startHistoryId || !Number.isFinite(start))
          return gmailError(reply, 400, 'INVALID_ARGUMENT', 'Invalid startHistoryId', 'invalidArgument');
        if (start < box.oldestHistoryId) return notFound(reply);
        const types = list(q.historyTypes);
        const key = {
          messageAdded: 'messagesAdded',
          messageDeleted: 'messagesDeleted',
          labelAdded: 'labelsAdded',
          labelRemoved: 'labelsRemoved',
        } as const;
        const wanted = types.length
          ? types.map((t) => key[t as keyof typeof key]).filter(Boolean)
          : Object.values(key);
        const labelId = q.labelId as string | undefined;
        const all = box.history
          .filter((h) => h.id > start)
          .filter((h) => wanted.some((k) => h[k] !== undefined))
          .filter(
            (h) => !labelId || wanted.some((k) => h[k]?.some((e) => e.message.labelIds.includes(labelId))),
          );
        const { slice, next } = page(all, q.pageToken, q.maxResults);
        return {
          ...(slice.length
            ? {
                history: slice.map((h) => ({
                  id: String(h.id),
                  messages: h.messages,
                  ...Object.fromEntries(wanted.filter((k) => h[k]).map((k) => [k, h[k]])),
                })),
              }
            : {}),
          historyId: String(box.historyId),
          ...(next ? { nextPageToken: next } : {}),
        };
      });

      // watch
      api.post('/users/:userId/watch', async (request, reply) => {
        const box = boxOf(request);
        const body = (request.body ?? {}) as { topicName?: string };
        if (!body.topicName || !/^projects\/[^/]+\/topics\/[^/]+$/.test(body.topicName))
          return gmailError(
            reply,
            400,
            'INVALID_ARGUMENT',
            'Invalid topicName does not match projects/*/topics/*',
            'invalidArgument',
          );
        if (body.topicName !== topicName)
          return gmailError(
            reply,
            403,
            'PERMISSION_DENIED',
            `User not authorized to perform this action.`,
            'forbidden',
          );
        box.watch = { topicName: body.topicName, expiration: Date.now() + WATCH_MS };
        return { historyId: String(box.historyId), expiration: String(box.watch.expiration) };
      });
      api.post('/users/:userId/stop', async (request, reply) => {
        boxOf(request).watch = null;
        return reply.code(204).send();
      });
    },
    { prefix: '/gmail/v1' },
  );

  // ---------- Google Calendar API v3 (same host: the Google APIs root) ----------
  const calendar = registerCalendar(app, {
    tokens,
    faults,
    isMailbox: (address) => findMailbox(address) !== undefined,
  });

  const origin = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const tokenUrl = `${origin}/token`;
  const serviceAccountKey = JSON.stringify({
    type: 'service_account',
    project_id: 'draftbridge-sandbox',
    private_key_id: saKeyId,
    private_key: sa.privateKey,
    client_email: saEmail,
    client_id: saClientId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUrl,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(saEmail)}`,
    universe_domain: 'googleapis.com',
  });

  const mustBox = (address: string) => {
    const box = findMailbox(address);
    if (!box) throw new Error('unknown mailbox');
    return box;
  };

  return {
    url: origin,
    rootUrl: `${origin}/`,
    tokenUrl,
    certsUrl: `${origin}/oauth2/v1/certs`,
    serviceAccountKey,
    topicName,
    requests: faults.requests,
    pushes,
    addMailbox(address) {
      const box: SimMailbox = {
        address: address.toLowerCase(),
        messages: new Map(),
        drafts: new Map(),
        labels: new Map(),
        history: [],
        historyId: randomInt(100_000, 2_000_000),
        oldestHistoryId: 0,
        watch: null,
        pushTimer: null,
      };
      for (const l of SYSTEM_LABELS) box.labels.set(l, { id: l, name: l, type: 'system' });
      mailboxes.set(box.address, box);
    },
    mailbox(address) {
      const box = mustBox(address);
      return {
        address: box.address,
        messages: [...box.messages.values()],
        drafts: box.drafts,
        watch: box.watch,
        historyId: box.historyId,
        labelNames: new Map([...box.labels.values()].map((l) => [l.id, l.name])),
      };
    },
    messagesFor(requestId) {
      return [...mailboxes.values()].flatMap((box) =>
        [...box.messages.values()]
          .filter((m) =>
            m.headers.some((h) => h.name.toLowerCase() === 'x-draftbridge-request' && h.value === requestId),
          )
          .map(
            (m) =>
              Object.assign(Object.create(null) as object, m, {
                mailbox: box.address,
                labelNames: [...m.labelIds].map((l) => box.labels.get(l)?.name ?? l),
              }) as SimGmailMessage & { mailbox: string; labelNames: string[] },
          ),
      );
    },
    inject: (fault) => faults.add(fault),
    configurePush(config) {
      push = config;
    },
    signPushToken,
    push: (address) => deliver(mustBox(address)),
    async sendDraftAsUser(address, messageId, how = {}) {
      const box = mustBox(address);
      const draftId = [...box.drafts.entries()].find(([, mid]) => mid === messageId)?.[0];
      if (!draftId) throw new Error('no such draft');
      if (!how.order) return sendDraft(box, draftId);
      const message = box.messages.get(messageId)!;
      const userLabels = [...message.labelIds].filter((l) => !SYSTEM_LABELS.includes(l));
      const gap = () => new Promise((r) => setTimeout(r, how.gapMs ?? 0));
      box.drafts.delete(draftId);
      let sent: SimGmailMessage;
      if (how.order === 'deleted-first') {
        remove(box, message);
        await gap();
        sent = await store(box, message.raw, ['SENT', ...userLabels], message.threadId);
      } else {
        sent = await store(box, message.raw, ['SENT', ...userLabels], message.threadId);
        await gap();
        remove(box, message);
      }
      for (let i = 1; i < (how.times ?? 1); i++) {
        await new Promise((r) => setTimeout(r, (options.pushDelayMs ?? 50) + 20));
        await deliver(box);
      }
      return sent;
    },
    async editDraftAsUser(address, messageId, body) {
      const box = mustBox(address);
      const draftId = [...box.drafts.entries()].find(([, mid]) => mid === messageId)?.[0];
      if (!draftId) throw new Error('no such draft');
      const old = box.messages.get(messageId)!;
      const parsed = await simpleParser(old.raw);
      const headers = Object.fromEntries(
        parsed.headerLines
          .filter((h) => /^x-/i.test(h.key))
          .map((h) => [h.key, h.line.slice(h.line.indexOf(':') + 1).trim()]),
      );
      const raw = await new MailComposer({
        from: parsed.from?.text,
        to: parsed.to
          ? Array.isArray(parsed.to)
            ? parsed.to.map((a) => a.text).join(', ')
            : parsed.to.text
          : undefined,
        subject: parsed.subject,
        text: body,
        messageId: parsed.messageId,
        headers,
      })
        .compile()
        .build();
      remove(box, old);
      const userLabels = [...old.labelIds].filter((l) => !SYSTEM_LABELS.includes(l));
      const edited = await store(box, raw, ['DRAFT', ...userLabels], old.threadId);
      box.drafts.set(draftId, edited.id);
      return edited;
    },
    async deleteDraftAsUser(address, messageId) {
      const box = mustBox(address);
      const draftId = [...box.drafts.entries()].find(([, mid]) => mid === messageId)?.[0];
      if (!draftId) throw new Error('no such draft');
      box.drafts.delete(draftId);
      remove(box, box.messages.get(messageId)!);
    },
    async simulateReply(address, threadId, from, options = {}) {
      const box = mustBox(address);
      const original =
        [...box.messages.values()].find((m) => m.threadId === threadId && m.labelIds.has('SENT')) ??
        [...box.messages.values()].find((m) => m.threadId === threadId);
      if (!original) throw new Error('no such thread');
      const raw = await new MailComposer({
        from,
        to: box.address,
        subject: options.subject ?? `Re: ${original.subject}`,
        text: options.text ?? 'Vielen Dank, Dienstag um 10 Uhr passt gut.',
        headers: options.headers ?? {},
        inReplyTo: original.messageIdHeader ?? undefined,
        references: original.messageIdHeader ?? undefined,
      })
        .compile()
        .build();
      return store(box, raw, ['INBOX', 'UNREAD'], threadId);
    },
    calendar,
    expireHistory(address) {
      const box = mustBox(address);
      box.oldestHistoryId = box.historyId + 1;
      nextHistory(box);
    },
    async close() {
      for (const box of mailboxes.values()) if (box.pushTimer) clearTimeout(box.pushTimer);
      await app.close();
    },
  };
}
