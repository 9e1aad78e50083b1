import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { generateSimulatorTls, type SimulatorTls } from '../tls.ts';
import { dispatchSoap, type DispatchState, type EwsFault, type SoapRequestRecord } from './dispatch.ts';
import { sendDraft, type OperationContext } from './items.ts';
import type { NtlmAccount } from './ntlm.ts';
import { SimSignIn } from './sign-in.ts';
import { SimExchange, type SimItem, type SimMailbox } from './state.ts';
import { calendarBlock, replyTo } from './user-actions.ts';

export type { EwsFault } from './dispatch.ts';

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

export interface EwsSimulator {
  url: string;
  tokenUrl: string;
  account: NtlmAccount;
  oauthClient: { clientId: string; clientSecret: string };
  exchange: SimExchange;
  invitations: OperationContext['invitations'];
  outbound: OperationContext['outbound'];
  /** Every SOAP request: operation, impersonated mailbox, auth scheme, the raw XML. */
  requests: SoapRequestRecord[];
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
  const signIn = new SimSignIn(account, options.auth ?? ['ntlm', 'basic', 'oauth']);
  const exchange = new SimExchange();
  const state: DispatchState = { exchange, faults: [], requests: [], invitations: [], outbound: [] };

  const server: Server = createServer(
    { key: material.keyPem, cert: material.certPem, keepAlive: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (req.url ?? '').split('?')[0]!.toLowerCase();
        if (req.method === 'POST' && path === '/oauth2/token') return signIn.token(body, res);
        if (path !== '/ews/exchange.asmx') return void res.writeHead(404).end();
        if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
        const auth = signIn.authenticate(req, res);
        if (!auth) return;
        if (!/^text\/xml/.test(req.headers['content-type'] ?? '')) return void res.writeHead(415).end();
        const action = req.headers.soapaction;
        dispatchSoap(state, body, auth, Array.isArray(action) ? action[0] : action, res);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const origin = `https://localhost:${(server.address() as { port: number }).port}`;

  const item = (mailbox: string, id: string) => {
    const found = exchange.mailbox(mailbox)?.items.get(id);
    if (!found) throw new Error(`no item ${id.slice(0, 12)}… in ${mailbox}`);
    return found;
  };

  return {
    url: `${origin}/EWS/Exchange.asmx`,
    tokenUrl: `${origin}/oauth2/token`,
    account,
    oauthClient: signIn.oauthClient,
    exchange,
    requests: state.requests,
    invitations: state.invitations,
    outbound: state.outbound,
    authFailures: signIn.failures,
    get ntlmHandshakes() {
      return signIn.handshakes;
    },
    addMailbox: (address) => exchange.addMailbox(address),
    inject: (fault) => void state.faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void (state.faults.length = 0),
    sendDraftAsUser(mailbox, itemId) {
      const draft = item(mailbox, itemId);
      const sent = sendDraft(exchange, draft, 'sentitems')!;
      state.outbound.push({ mailbox, to: draft.to, subject: draft.subject, itemId: sent.id });
      return sent;
    },
    deleteDraftAsUser(mailbox, itemId, hard = false) {
      const draft = item(mailbox, itemId);
      if (hard) exchange.remove(draft);
      else exchange.move(draft, 'deleteditems');
    },
    simulateReply: (mailbox, sentItemId, from, text = 'Danke, passt.') =>
      replyTo(exchange, item(mailbox, sentItemId), mailbox, from, text),
    addEvent: (mailbox, e) => calendarBlock(exchange, mailbox, e),
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
