import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { generateSimulatorTls, type SimulatorTls } from '../tls.ts';
import {
  createItem,
  deleteItem,
  findItem,
  getFolder,
  getItem,
  sendDraft,
  sendItem,
  type OperationContext,
} from './items.ts';
import { createChallenge, ntlmMessageType, verifyAuthenticate, type NtlmAccount } from './ntlm.ts';
import { getEvents, getUserAvailability, subscribe, syncFolderItems } from './notifications.ts';
import {
  newConversationId,
  newChangeKey,
  newItemId,
  SimExchange,
  type SimItem,
  type SimMailbox,
} from './state.ts';
import {
  at,
  errorMessage,
  EwsSimError,
  faultEnvelope,
  one,
  operationResponse,
  parse,
  parseRaw,
  responseEnvelope,
  SOAP_NS,
  str,
  successMessage,
  type Node,
} from './xml.ts';

/**
 * A simulated Exchange Server 2019 EWS endpoint (/EWS/Exchange.asmx) over HTTPS, for tests and the
 * sandbox. It speaks SOAP 1.1 as Exchange does: t:/m: namespaces, RequestServerVersion, response
 * messages with ResponseClass/ResponseCode, SOAP faults for envelope-level refusals (ErrorServerBusy
 * with BackOffMilliseconds, ErrorImpersonateUserDenied). Authentication as IIS does it: NTLM with
 * the Type 1/2/3 handshake on one connection and the NTLMv2 proof checked against the password,
 * Basic, or a bearer token from its own client-credentials endpoint (/oauth2/token). Impersonation
 * is allowed only for the mailboxes in the service account's management scope.
 */
export interface EwsSimulatorOptions {
  tls?: SimulatorTls;
  port?: number;
  account?: NtlmAccount;
  /** What the EWS virtual directory allows (default both NTLM and Basic, plus bearer tokens). */
  auth?: ('ntlm' | 'basic' | 'oauth')[];
}

export interface EwsFault {
  operation: string;
  code: string;
  times?: number;
  backOffMs?: number;
  /** Do the operation, then drop the connection before answering (a crash mid-create, seen from the client). */
  afterCommit?: boolean;
  /** Do the operation, then answer only after this long (the caller may die waiting). */
  delayMs?: number;
}

const OPERATIONS: Record<string, (ctx: OperationContext, op: Node) => string[]> = {
  CreateItem: createItem,
  GetItem: getItem,
  FindItem: findItem,
  SendItem: sendItem,
  DeleteItem: deleteItem,
  GetFolder: getFolder,
  Subscribe: subscribe,
  GetEvents: getEvents,
  SyncFolderItems: syncFolderItems,
};
const VERSIONS = new Set([
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'V2015_10_05',
  'V2016_01_06',
  'V2017_07_11',
]);

export interface EwsSimulator {
  url: string;
  tokenUrl: string;
  account: NtlmAccount;
  oauthClient: { clientId: string; clientSecret: string };
  exchange: SimExchange;
  invitations: OperationContext['invitations'];
  outbound: OperationContext['outbound'];
  /** Every SOAP request: operation, impersonated mailbox, auth scheme, the raw XML. */
  requests: {
    operation: string;
    mailbox: string | null;
    auth: string;
    xml: string;
    soapAction: string | undefined;
  }[];
  /** Failed sign-ins (reason only). */
  authFailures: string[];
  /** NTLM challenges issued (one per handshake). */
  ntlmHandshakes: number;
  addMailbox(address: string): SimMailbox;
  inject(fault: EwsFault): void;
  clearFaults(): void;
  /** The reviewer presses Send in Outlook: the draft moves to Sent Items. */
  sendDraftAsUser(mailbox: string, itemId: string): SimItem;
  /** The reviewer deletes the draft: to Deleted Items (soft) or gone (Shift+Del). */
  deleteDraftAsUser(mailbox: string, itemId: string, hard?: boolean): void;
  /** The contact answers: a message in the Inbox, same conversation, the whole original quoted. */
  simulateReply(mailbox: string, sentItemId: string, from: string, text?: string): SimItem;
  /** A busy block in the calendar (seed data). */
  addEvent(
    mailbox: string,
    event: { subject: string; start: string; end: string; freeBusy?: SimItem['freeBusy'] },
  ): void;
  /** Exchange dropped every pull subscription (restart, timeout). */
  expireSubscriptions(): void;
  /** The server closes every open connection (IIS idle time-out, a restart): NTLM must shake hands again. */
  dropConnections(): void;
  itemsFor(requestId: string): SimItem[];
  close(): Promise<void>;
}

export async function startEwsSimulator(options: EwsSimulatorOptions = {}): Promise<EwsSimulator> {
  const material = options.tls ?? (await generateSimulatorTls());
  const account = options.account ?? {
    username: 'svc-draftbridge',
    password: randomBytes(12).toString('base64url'),
    domain: 'CONTOSO',
  };
  const allowed = new Set(options.auth ?? ['ntlm', 'basic', 'oauth']);
  const exchange = new SimExchange();
  const oauthClient = { clientId: randomUUID(), clientSecret: randomBytes(24).toString('base64url') };
  const tokens = new Set<string>();
  let handshakes = 0;
  const faults: (EwsFault & { left: number })[] = [];
  const ntlmState = new WeakMap<Socket, { challenge?: Buffer; user?: string }>();
  const sim = { invitations: [], outbound: [], requests: [], authFailures: [] } as Pick<
    EwsSimulator,
    'invitations' | 'outbound' | 'requests' | 'authFailures'
  >;

  const challengeHeaders = () => [
    ...(allowed.has('ntlm') ? ['Negotiate', 'NTLM'] : []),
    ...(allowed.has('basic') ? ['Basic realm="exch01.example.test"'] : []),
  ];

  /** Who is calling, or null after answering 401 (with an NTLM challenge where the handshake goes on). */
  function authenticate(req: IncomingMessage, res: ServerResponse): string | null {
    const header = req.headers.authorization;
    const state = ntlmState.get(req.socket) ?? {};
    ntlmState.set(req.socket, state);
    const ntlm = allowed.has('ntlm') ? ntlmMessageType(header) : null;
    if (ntlm?.type === 1) {
      const challenge = createChallenge(account.domain);
      state.challenge = challenge.challenge;
      handshakes++;
      res.writeHead(401, { 'www-authenticate': challenge.message, 'content-length': 0 }).end();
      return null;
    }
    if (ntlm?.type === 3 && state.challenge) {
      const result = verifyAuthenticate(ntlm.message, state.challenge, account);
      state.challenge = undefined;
      if ('user' in result) {
        state.user = result.user;
        return 'ntlm';
      }
      sim.authFailures.push(`ntlm: ${result.error}`);
    } else if (state.user && !header) {
      return 'ntlm'; // NTLM authenticates the connection
    } else if (header?.startsWith('Basic ') && allowed.has('basic')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      const names = [
        `${account.domain}\\${account.username}`.toLowerCase(),
        `${account.username}@${account.domain}.test`.toLowerCase(),
      ];
      if (names.includes((user ?? '').toLowerCase()) && rest.join(':') === account.password) return 'basic';
      sim.authFailures.push('basic: wrong user or password');
    } else if (header?.startsWith('Bearer ') && allowed.has('oauth')) {
      if (tokens.has(header.slice(7))) return 'oauth';
      sim.authFailures.push('oauth: unknown token');
    }
    res.writeHead(401, { 'www-authenticate': challengeHeaders(), 'content-length': 0 }).end();
    return null;
  }

  function token(body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_id') !== oauthClient.clientId ||
      form.get('client_secret') !== oauthClient.clientSecret
    ) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    const value = randomBytes(32).toString('base64url');
    tokens.add(value);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: value, token_type: 'Bearer', expires_in: 3600 }));
  }

  function dispatch(xml: string, auth: string, soapAction: string | undefined, res: ServerResponse): void {
    const send = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
    try {
      const doc = parseRaw(xml);
      const envelopeKey = Object.keys(doc).find((k) => k.endsWith('Envelope'));
      const env = envelopeKey ? (doc[envelopeKey] as Node) : undefined;
      const soapPrefix = envelopeKey?.includes(':') ? envelopeKey.split(':')[0] : undefined;
      if (!env || !soapPrefix || at(env, `xmlns:${soapPrefix}`) !== SOAP_NS)
        throw new EwsSimError(
          'ErrorSchemaValidation',
          'The request failed schema validation: not a SOAP 1.1 envelope.',
          { fault: true },
        );
      const plain = one(parse(xml), 'Envelope') ?? {};
      const header = one(plain, 'Header');
      const version = at(one(header, 'RequestServerVersion'), 'Version');
      if (version && !VERSIONS.has(version))
        throw new EwsSimError('ErrorInvalidServerVersion', 'The specified server version is invalid.', {
          fault: true,
        });
      const body = one(plain, 'Body') ?? {};
      const [name, op] = Object.entries(body).find(([k]) => !k.startsWith('@')) ?? [];
      const operation = (name ?? '').replace(/Request$/, '');
      const mailbox =
        str(
          one(one(header, 'ExchangeImpersonation'), 'ConnectingSID'),
          'PrimarySmtpAddress',
        )?.toLowerCase() ?? null;
      sim.requests.push({ operation, mailbox, auth, xml, soapAction });
      const fault = faults.find((f) => f.left > 0 && f.operation === operation);
      if (fault && !fault.afterCommit && fault.delayMs === undefined) {
        fault.left--;
        throw new EwsSimError(
          fault.code,
          fault.code === 'ErrorServerBusy'
            ? 'The server cannot service this request right now. Try again later.'
            : 'Injected.',
          {
            fault: true,
            values: fault.backOffMs !== undefined ? { BackOffMilliseconds: String(fault.backOffMs) } : {},
          },
        );
      }
      const box = mailbox ? exchange.mailbox(mailbox) : undefined;
      if (mailbox && !box)
        throw new EwsSimError(
          'ErrorImpersonateUserDenied',
          'The account does not have permission to impersonate the requested user.',
          { fault: true },
        );
      if (!box && operation !== 'GetUserAvailability')
        throw new EwsSimError(
          'ErrorNonExistentMailbox',
          'The service account has no mailbox of its own in this simulation; impersonate a rep.',
          { fault: true },
        );
      const ctx: OperationContext = {
        ex: exchange,
        box: box!,
        invitations: sim.invitations,
        outbound: sim.outbound,
      };
      let answer: string;
      if (operation === 'GetUserAvailability')
        answer = responseEnvelope(getUserAvailability(ctx, op as Node, (a) => exchange.mailbox(a)));
      else {
        const handler = OPERATIONS[operation];
        if (!handler)
          throw new EwsSimError('ErrorInvalidRequest', `The operation ${operation} is not simulated.`, {
            fault: true,
          });
        let messages: string;
        try {
          messages = handler(ctx, op as Node)
            .map((inner) => successMessage(operation, inner))
            .join('');
        } catch (err) {
          if (!(err instanceof EwsSimError) || err.fault) throw err;
          messages = errorMessage(operation, err);
        }
        answer = operationResponse(operation, messages);
      }
      if (fault?.afterCommit) {
        fault.left--;
        res.socket?.destroy();
        return;
      }
      if (fault?.delayMs !== undefined) {
        fault.left--;
        setTimeout(() => send(200, answer), fault.delayMs);
        return;
      }
      send(200, answer);
    } catch (err) {
      if (err instanceof EwsSimError) return void send(500, faultEnvelope(err));
      send(500, faultEnvelope(new EwsSimError('ErrorInternalServerError', (err as Error).message)));
    }
  }

  const server: Server = createServer(
    { key: material.keyPem, cert: material.certPem, keepAlive: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (req.url ?? '').split('?')[0]!.toLowerCase();
        if (req.method === 'POST' && path === '/oauth2/token') return token(body, res);
        if (path !== '/ews/exchange.asmx') return void res.writeHead(404).end();
        if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
        const auth = authenticate(req, res);
        if (!auth) return;
        if (!/^text\/xml/.test(req.headers['content-type'] ?? '')) return void res.writeHead(415).end();
        const action = req.headers.soapaction;
        dispatch(body, auth, Array.isArray(action) ? action[0] : action, res);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const origin = `https://localhost:${port}`;

  const item = (mailbox: string, id: string) => {
    const found = exchange.mailbox(mailbox)?.items.get(id);
    if (!found) throw new Error(`no item ${id.slice(0, 12)}… in ${mailbox}`);
    return found;
  };

  return {
    ...sim,
    url: `${origin}/EWS/Exchange.asmx`,
    tokenUrl: `${origin}/oauth2/token`,
    account,
    oauthClient,
    exchange,
    get ntlmHandshakes() {
      return handshakes;
    },
    addMailbox: (address) => exchange.addMailbox(address),
    inject: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void (faults.length = 0),
    sendDraftAsUser(mailbox, itemId) {
      const draft = item(mailbox, itemId);
      const sent = sendDraft(exchange, draft, 'sentitems')!;
      sim.outbound.push({ mailbox, to: draft.to, subject: draft.subject, itemId: sent.id });
      return sent;
    },
    deleteDraftAsUser(mailbox, itemId, hard = false) {
      const draft = item(mailbox, itemId);
      if (hard) exchange.remove(draft);
      else exchange.move(draft, 'deleteditems');
    },
    simulateReply(mailbox, sentItemId, from, text = 'Danke, passt.') {
      const sent = item(mailbox, sentItemId);
      // Outlook's reply: the new text on top, then the whole original quoted below a header.
      const quoted = sent.body
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n');
      const reply: SimItem = {
        ...sent,
        id: newItemId(),
        changeKey: newChangeKey(),
        folder: 'inbox',
        subject: `AW: ${sent.subject}`,
        body: `${text}\n\nVon: ${sent.from}\nGesendet: ${new Date().toUTCString()}\nAn: ${sent.to.join('; ')}\nBetreff: ${sent.subject}\n\n${quoted}`,
        bodyType: 'Text',
        categories: [],
        properties: new Map(),
        to: [mailbox.toLowerCase()],
        from: from.toLowerCase(),
        isDraft: false,
        internetMessageId: `<${randomBytes(12).toString('hex')}@example.com>`,
        created: Date.now(),
      };
      exchange.put(reply);
      return reply;
    },
    addEvent(mailbox, e) {
      const box = exchange.addMailbox(mailbox);
      exchange.put({
        id: newItemId(),
        changeKey: newChangeKey(),
        mailbox: box.address,
        folder: 'calendar',
        kind: 'CalendarItem',
        subject: e.subject,
        body: '',
        bodyType: 'Text',
        categories: [],
        properties: new Map(),
        to: [],
        from: box.address,
        isDraft: false,
        conversationId: newConversationId(),
        internetMessageId: '',
        start: new Date(e.start).toISOString(),
        end: new Date(e.end).toISOString(),
        freeBusy: e.freeBusy ?? 'Busy',
        attendees: [],
        created: Date.now(),
      });
    },
    expireSubscriptions: () => exchange.subscriptions.clear(),
    dropConnections: () => server.closeIdleConnections(),
    itemsFor: (requestId) =>
      [...exchange.mailboxes.values()]
        .flatMap((b) => [...b.items.values()])
        .filter((i) => [...i.properties.values()].includes(requestId)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
