import { gmail, type gmail_v1 } from '@googleapis/gmail';
import type { JWT } from 'google-auth-library';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { ServiceAccountKey } from '../../src/gmail-key.ts';
import { UpstreamRejected } from '../../src/errors.ts';
import {
  NO_CONNECTOR_METRICS,
  type ConnectorMetrics,
  type MailMessageRef,
  type MailPort,
  type OutgoingMail,
  type ReceivedReply,
} from '../../src/ports.ts';
import { DelegatedAuth, GoogleCalls } from './google-calls.ts';

/**
 * MailPort on Google's official client (@googleapis/gmail + google-auth-library). A service account
 * with domain-wide delegation acts as the rep (JWT with `sub` = the rep's address). Drafts are MIME
 * built by nodemailer's MailComposer, carry the request id in `X-Draftbridge-Request` and a Message-ID
 * derived from it, so `rfc822msgid:` finds them again before any create (Gmail search has no operator
 * for custom headers). AI drafts get a visible label. 429 and 403 rate-limit answers become
 * UpstreamRateLimited (Retry-After when given, else exponential per mailbox) so the queue pauses.
 */
export const REQUEST_HEADER = 'X-Draftbridge-Request';
export const GMAIL_SCOPES = [
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.modify',
];

export interface GmailMailOptions {
  /** Where calls are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
  key: ServiceAccountKey;
  /** GMAIL_API_ROOT_URL, e.g. https://gmail.googleapis.com/ */
  rootUrl: string;
  /** GOOGLE_TOKEN_URL */
  tokenUrl: string;
  /** Labels an unlabelled draft found again gets (the policy's review category). */
  defaultLabel: string;
  timeoutMs?: number;
}

/** A message as the approval loop needs it (ids, labels, our header, the sender). */
export interface GmailMessageInfo {
  id: string;
  threadId: string;
  labelIds: string[];
  requestId: string | null;
  from: string | null;
  internetMessageId: string | null;
}

export interface GmailHistoryPage {
  history: gmail_v1.Schema$History[];
  historyId: string;
  nextPageToken: string | null;
}

/** The Message-ID we give a request's message: what `rfc822msgid:` finds again. */
export function messageIdFor(requestId: string, mailbox: string): string {
  const domain = mailbox.split('@')[1] ?? 'draftbridge.invalid';
  return `draftbridge.${requestId}@${domain}`;
}

export class GmailMail implements MailPort {
  private readonly metrics: ConnectorMetrics;
  private readonly api: gmail_v1.Gmail;
  private readonly options: GmailMailOptions;
  private readonly timeoutMs: number;
  private readonly auth: DelegatedAuth;
  private readonly calls: GoogleCalls;
  private readonly labels = new Map<string, Promise<string>>();

  constructor(options: GmailMailOptions) {
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    // No client-side retries: a long pause belongs to the queue, not inside a job.
    this.api = gmail({ version: 'v1', rootUrl: options.rootUrl, retry: false, timeout: this.timeoutMs });
    this.auth = new DelegatedAuth(options.key, options.tokenUrl, GMAIL_SCOPES);
    this.calls = new GoogleCalls('gmail', this.metrics, this.timeoutMs);
  }

  /** One delegated client per mailbox (the token is the rep's); token requests go to GOOGLE_TOKEN_URL. */
  private authFor(mailbox: string): JWT {
    return this.auth.for(mailbox);
  }

  async findByRequestId(mailbox: string, requestId: string): Promise<MailMessageRef | null> {
    const info = await this.findInfo(mailbox, requestId);
    if (!info) return null;
    // A create that crashed before labelling: label it now, so the reviewer sees it as an AI draft.
    const userLabels = info.labelIds.filter((l) => l.startsWith('Label_'));
    const label = await this.labelId(mailbox, this.options.defaultLabel);
    if (userLabels.length === 0)
      await this.call(mailbox, 'modify', () =>
        this.api.users.messages.modify({
          userId: mailbox,
          id: info.id,
          auth: this.authFor(mailbox),
          requestBody: { addLabelIds: [label] },
        }),
      );
    return this.ref(mailbox, info);
  }

  /** Our message for a request (draft or sent), by its Message-ID, confirmed by the request header. */
  async findInfo(mailbox: string, requestId: string): Promise<GmailMessageInfo | null> {
    const res = await this.call(mailbox, 'findByRequestId', () =>
      this.api.users.messages.list({
        userId: mailbox,
        auth: this.authFor(mailbox),
        q: `rfc822msgid:${messageIdFor(requestId, mailbox)}`,
        maxResults: 10,
      }),
    );
    for (const m of res?.data.messages ?? []) {
      const info = await this.info(mailbox, m.id!);
      if (info?.requestId === requestId) return info;
    }
    return null;
  }

  async createDraft(mail: OutgoingMail): Promise<MailMessageRef> {
    const raw = await this.raw(mail);
    const labels = await this.labelIds(mail);
    const res = await this.call(mail.mailbox, 'createDraft', () =>
      this.api.users.drafts.create({
        userId: mail.mailbox,
        auth: this.authFor(mail.mailbox),
        requestBody: { message: { raw } },
      }),
    );
    const message = res!.data.message!;
    const labelled = await this.call(mail.mailbox, 'modify', () =>
      this.api.users.messages.modify({
        userId: mail.mailbox,
        id: message.id!,
        auth: this.authFor(mail.mailbox),
        requestBody: { addLabelIds: labels },
      }),
    );
    return this.ref(mail.mailbox, {
      id: message.id!,
      threadId: message.threadId!,
      labelIds: labelled?.data.labelIds ?? ['DRAFT', ...labels],
      requestId: mail.requestId,
      from: mail.mailbox,
      internetMessageId: `<${messageIdFor(mail.requestId, mail.mailbox)}>`,
    });
  }

  async sendDraft(mailbox: string, messageId: string): Promise<void> {
    const draftId = await this.draftIdFor(mailbox, messageId);
    if (!draftId) throw new UpstreamRejected('gmail', 404, 'gmail sendDraft: no draft holds this message');
    await this.call(mailbox, 'sendDraft', () =>
      this.api.users.drafts.send({
        userId: mailbox,
        auth: this.authFor(mailbox),
        requestBody: { id: draftId },
      }),
    );
  }

  async sendMail(mail: OutgoingMail): Promise<void> {
    const raw = await this.raw(mail);
    const labels = await this.labelIds(mail);
    const res = await this.call(mail.mailbox, 'sendMail', () =>
      this.api.users.messages.send({
        userId: mail.mailbox,
        auth: this.authFor(mail.mailbox),
        requestBody: { raw },
      }),
    );
    await this.call(mail.mailbox, 'modify', () =>
      this.api.users.messages.modify({
        userId: mail.mailbox,
        id: res!.data.id!,
        auth: this.authFor(mail.mailbox),
        requestBody: { addLabelIds: labels },
      }),
    );
  }

  async getMessage(
    mailbox: string,
    messageId: string,
  ): Promise<(MailMessageRef & { requestId: string | null }) | null> {
    const info = await this.info(mailbox, messageId);
    return info ? { ...this.ref(mailbox, info), requestId: info.requestId } : null;
  }

  // ---------- the approval loop's calls (connectors/gmail/watch.ts) ----------

  /** users.watch: pushes for every change in the mailbox to the Pub/Sub topic, for 7 days. */
  async watch(mailbox: string, topicName: string): Promise<{ historyId: string; expiration: number }> {
    const res = await this.call(mailbox, 'watch', () =>
      this.api.users.watch({ userId: mailbox, auth: this.authFor(mailbox), requestBody: { topicName } }),
    );
    return { historyId: String(res!.data.historyId), expiration: Number(res!.data.expiration) };
  }

  /** One page of history after `startHistoryId`; null when Gmail no longer has that id (404: resync). */
  async history(
    mailbox: string,
    startHistoryId: string,
    pageToken?: string,
  ): Promise<GmailHistoryPage | null> {
    const res = await this.call(
      mailbox,
      'history',
      () =>
        this.api.users.history.list({
          userId: mailbox,
          auth: this.authFor(mailbox),
          startHistoryId,
          historyTypes: ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'],
          maxResults: 500,
          ...(pageToken ? { pageToken } : {}),
        }),
      { notFoundIsNull: true },
    );
    if (!res) return null;
    return {
      history: res.data.history ?? [],
      historyId: String(res.data.historyId),
      nextPageToken: res.data.nextPageToken ?? null,
    };
  }

  async currentHistoryId(mailbox: string): Promise<string> {
    const res = await this.call(mailbox, 'profile', () =>
      this.api.users.getProfile({ userId: mailbox, auth: this.authFor(mailbox) }),
    );
    return String(res!.data.historyId);
  }

  /** Every message carrying one of these labels (drafts and sent), for a full resync. */
  async labelled(mailbox: string, names: readonly string[], maxPages = 20): Promise<GmailMessageInfo[]> {
    const out: GmailMessageInfo[] = [];
    for (const name of new Set(names))
      out.push(...(await this.labelledWith(mailbox, await this.labelId(mailbox, name), maxPages)));
    return out;
  }

  private async labelledWith(mailbox: string, label: string, maxPages: number): Promise<GmailMessageInfo[]> {
    const out: GmailMessageInfo[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const token = pageToken;
      const res = await this.call(mailbox, 'resync', () =>
        this.api.users.messages.list({
          userId: mailbox,
          auth: this.authFor(mailbox),
          labelIds: [label],
          maxResults: 100,
          ...(token ? { pageToken: token } : {}),
        }),
      );
      for (const m of res?.data.messages ?? []) {
        const info = await this.info(mailbox, m.id!);
        if (info) out.push(info);
      }
      pageToken = res?.data.nextPageToken ?? undefined;
      if (!pageToken) break;
    }
    return out;
  }

  /**
   * A received message as text with its sender, subject and headers (format=full): the first
   * text/plain part, or the HTML part reduced to text. Null when the message is gone.
   */
  async getReplyText(mailbox: string, messageId: string): Promise<ReceivedReply | null> {
    const res = await this.call(
      mailbox,
      'getReplyText',
      () =>
        this.api.users.messages.get({
          userId: mailbox,
          id: messageId,
          auth: this.authFor(mailbox),
          format: 'full',
        }),
      { notFoundIsNull: true },
    );
    if (!res) return null;
    const headers = Object.fromEntries(
      (res.data.payload?.headers ?? []).map((h) => [(h.name ?? '').toLowerCase(), h.value ?? '']),
    );
    const from = headers.from ? (headers.from.match(/<([^>]+)>/)?.[1] ?? headers.from).trim() : null;
    return {
      text: partText(res.data.payload),
      from,
      ...(headers.subject ? { subject: headers.subject } : {}),
      headers,
    };
  }

  /** messages.get format=metadata with our header; null when the message is gone. */
  async info(mailbox: string, messageId: string): Promise<GmailMessageInfo | null> {
    const res = await this.call(
      mailbox,
      'getMessage',
      () =>
        this.api.users.messages.get({
          userId: mailbox,
          id: messageId,
          auth: this.authFor(mailbox),
          format: 'metadata',
          metadataHeaders: [REQUEST_HEADER, 'From', 'Message-ID'],
        }),
      { notFoundIsNull: true },
    );
    if (!res) return null;
    const header = (name: string) =>
      res.data.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? null;
    return {
      id: res.data.id!,
      threadId: res.data.threadId!,
      labelIds: res.data.labelIds ?? [],
      requestId: header(REQUEST_HEADER),
      from: header('From'),
      internetMessageId: header('Message-ID'),
    };
  }

  // ---------- internals ----------

  private async draftIdFor(mailbox: string, messageId: string): Promise<string | null> {
    const info = await this.info(mailbox, messageId);
    const q = info?.internetMessageId
      ? `rfc822msgid:${info.internetMessageId.replace(/^<|>$/g, '')}`
      : undefined;
    const res = await this.call(mailbox, 'listDrafts', () =>
      this.api.users.drafts.list({
        userId: mailbox,
        auth: this.authFor(mailbox),
        maxResults: 100,
        ...(q ? { q } : {}),
      }),
    );
    return res?.data.drafts?.find((d) => d.message?.id === messageId)?.id ?? null;
  }

  /** The draft's categories as Gmail labels (e.g. "KI-Entwurf – bitte prüfen"). */
  private async labelIds(mail: OutgoingMail): Promise<string[]> {
    const names = mail.categories.length > 0 ? mail.categories : [this.options.defaultLabel];
    return Promise.all(names.map((name) => this.labelId(mail.mailbox, name)));
  }

  /** A label's id, created once per mailbox when missing (cached). */
  labelId(mailbox: string, name: string): Promise<string> {
    const key = `${mailbox.toLowerCase()}\n${name}`;
    let id = this.labels.get(key);
    if (!id) {
      id = this.resolveLabel(mailbox, name);
      this.labels.set(key, id);
      id.catch(() => this.labels.delete(key));
    }
    return id;
  }

  private async resolveLabel(mailbox: string, name: string): Promise<string> {
    const find = async () =>
      (
        await this.call(mailbox, 'labels', () =>
          this.api.users.labels.list({ userId: mailbox, auth: this.authFor(mailbox) }),
        )
      )?.data.labels?.find((l) => l.name === name)?.id ?? null;
    const existing = await find();
    if (existing) return existing;
    try {
      const created = await this.call(mailbox, 'createLabel', () =>
        this.api.users.labels.create({
          userId: mailbox,
          auth: this.authFor(mailbox),
          requestBody: { name, labelListVisibility: 'labelShow', messageListVisibility: 'show' },
        }),
      );
      return created!.data.id!;
    } catch (err) {
      // Another worker created it a moment ago (409): take theirs.
      if (err instanceof UpstreamRejected && err.status === 409) {
        const again = await find();
        if (again) return again;
      }
      throw err;
    }
  }

  private async raw(mail: OutgoingMail): Promise<string> {
    const composer = new MailComposer({
      from: mail.mailbox,
      to: mail.to.map((r) => (r.name ? { name: r.name, address: r.address } : r.address)),
      subject: mail.subject,
      ...(mail.contentType === 'html' ? { html: mail.body } : { text: mail.body }),
      messageId: `<${messageIdFor(mail.requestId, mail.mailbox)}>`,
      headers: { [REQUEST_HEADER]: mail.requestId },
    });
    const buf = await composer.compile().build();
    return buf.toString('base64url');
  }

  private ref(mailbox: string, info: GmailMessageInfo): MailMessageRef {
    return {
      id: info.id,
      mailbox,
      isDraft: info.labelIds.includes('DRAFT'),
      conversationId: info.threadId,
      ...(info.internetMessageId ? { internetMessageId: info.internetMessageId } : {}),
      webLink: `https://mail.google.com/mail/?authuser=${encodeURIComponent(mailbox)}#all/${info.id}`,
    };
  }

  private async call<T>(
    mailbox: string,
    operation: string,
    fn: () => Promise<T>,
    options: { notFoundIsNull?: boolean } = {},
  ): Promise<T | null> {
    return this.calls.run(mailbox, operation, fn, options);
  }
}

/** The text of a Gmail message part tree: text/plain first, else text/html without tags. */
function partText(part: gmail_v1.Schema$MessagePart | undefined): string {
  const decode = (p: gmail_v1.Schema$MessagePart) =>
    Buffer.from(p.body?.data ?? '', 'base64url').toString('utf8');
  const all: gmail_v1.Schema$MessagePart[] = [];
  const walk = (p: gmail_v1.Schema$MessagePart | undefined) => {
    if (!p) return;
    all.push(p);
    for (const c of p.parts ?? []) walk(c);
  };
  walk(part);
  const plain = all.find((p) => (p.mimeType ?? '').startsWith('text/plain') && p.body?.data);
  if (plain) return decode(plain);
  const html = all.find((p) => (p.mimeType ?? '').startsWith('text/html') && p.body?.data);
  return html
    ? decode(html)
        .replace(/<br\s*\/?>|<\/p>/gi, '\n')
        .replace(/<[^>]+>/g, ' ')
    : '';
}
