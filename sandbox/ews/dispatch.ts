import type { ServerResponse } from 'node:http';
import { getUserAvailability, getEvents, subscribe, syncFolderItems } from './notifications.ts';
import {
  createItem,
  deleteItem,
  findItem,
  getFolder,
  getItem,
  sendItem,
  type OperationContext,
} from './items.ts';
import type { SimExchange } from './state.ts';
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
 * One SOAP request to the simulated /EWS/Exchange.asmx: the envelope checked (SOAP 1.1 namespace,
 * RequestServerVersion), the impersonated mailbox looked up in the service account's scope, injected
 * faults applied, the operation run, and the answer written as Exchange writes it (response messages
 * for per-item errors, a SOAP fault with HTTP 500 for envelope-level refusals).
 */
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

export interface SoapRequestRecord {
  operation: string;
  mailbox: string | null;
  auth: string;
  xml: string;
  soapAction: string | undefined;
}

export interface DispatchState {
  exchange: SimExchange;
  faults: (EwsFault & { left: number })[];
  requests: SoapRequestRecord[];
  invitations: OperationContext['invitations'];
  outbound: OperationContext['outbound'];
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
const fault = (code: string, message: string, values: Record<string, string> = {}) =>
  new EwsSimError(code, message, { fault: true, values });

/** The envelope's header and body, after checking it is SOAP 1.1 with a known server version. */
function readRequest(xml: string): { operation: string; op: Node; mailbox: string | null } {
  const doc = parseRaw(xml);
  const envelopeKey = Object.keys(doc).find((k) => k.endsWith('Envelope'));
  const env = envelopeKey ? (doc[envelopeKey] as Node) : undefined;
  const soapPrefix = envelopeKey?.includes(':') ? envelopeKey.split(':')[0] : undefined;
  if (!env || !soapPrefix || at(env, `xmlns:${soapPrefix}`) !== SOAP_NS) {
    throw fault('ErrorSchemaValidation', 'The request failed schema validation: not a SOAP 1.1 envelope.');
  }
  const plain = one(parse(xml), 'Envelope') ?? {};
  const header = one(plain, 'Header');
  const version = at(one(header, 'RequestServerVersion'), 'Version');
  if (version && !VERSIONS.has(version))
    throw fault('ErrorInvalidServerVersion', 'The specified server version is invalid.');
  const body = one(plain, 'Body') ?? {};
  const [name, op] = Object.entries(body).find(([k]) => !k.startsWith('@')) ?? [];
  const sid = one(one(header, 'ExchangeImpersonation'), 'ConnectingSID');
  return {
    operation: (name ?? '').replace(/Request$/, ''),
    op: (op ?? {}) as Node,
    mailbox: str(sid, 'PrimarySmtpAddress')?.toLowerCase() ?? null,
  };
}

function run(state: DispatchState, operation: string, op: Node, mailbox: string | null): string {
  const box = mailbox ? state.exchange.mailbox(mailbox) : undefined;
  if (mailbox && !box) {
    throw fault(
      'ErrorImpersonateUserDenied',
      'The account does not have permission to impersonate the requested user.',
    );
  }
  if (!box && operation !== 'GetUserAvailability') {
    throw fault(
      'ErrorNonExistentMailbox',
      'The service account has no mailbox of its own here; impersonate a rep.',
    );
  }
  const ctx: OperationContext = {
    ex: state.exchange,
    box: box!,
    invitations: state.invitations,
    outbound: state.outbound,
  };
  if (operation === 'GetUserAvailability') {
    return responseEnvelope(getUserAvailability(ctx, op, (a) => state.exchange.mailbox(a)));
  }
  const handler = OPERATIONS[operation];
  if (!handler) throw fault('ErrorInvalidRequest', `The operation ${operation} is not simulated.`);
  let messages: string;
  try {
    messages = handler(ctx, op)
      .map((inner) => successMessage(operation, inner))
      .join('');
  } catch (err) {
    if (!(err instanceof EwsSimError) || err.fault) throw err;
    messages = errorMessage(operation, err);
  }
  return operationResponse(operation, messages);
}

export function dispatchSoap(
  state: DispatchState,
  xml: string,
  auth: string,
  soapAction: string | undefined,
  res: ServerResponse,
): void {
  const send = (status: number, body: string) =>
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
  try {
    const { operation, op, mailbox } = readRequest(xml);
    state.requests.push({ operation, mailbox, auth, xml, soapAction });
    const injected = state.faults.find((f) => f.left > 0 && f.operation === operation);
    if (injected && !injected.afterCommit && injected.delayMs === undefined) {
      injected.left--;
      const busy = injected.code === 'ErrorServerBusy';
      const values: Record<string, string> =
        injected.backOffMs !== undefined ? { BackOffMilliseconds: String(injected.backOffMs) } : {};
      throw fault(
        injected.code,
        busy ? 'The server cannot service this request right now. Try again later.' : 'Injected.',
        values,
      );
    }
    const answer = run(state, operation, op, mailbox);
    if (injected?.afterCommit) {
      injected.left--;
      res.socket?.destroy();
      return;
    }
    if (injected?.delayMs !== undefined) {
      injected.left--;
      setTimeout(() => send(200, answer), injected.delayMs);
      return;
    }
    send(200, answer);
  } catch (err) {
    const known =
      err instanceof EwsSimError ? err : new EwsSimError('ErrorInternalServerError', (err as Error).message);
    send(500, faultEnvelope(known));
  }
}
