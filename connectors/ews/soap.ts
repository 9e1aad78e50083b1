import { XMLParser } from 'fast-xml-parser';

/**
 * The SOAP 1.1 wire format of Exchange Web Services: envelopes with the `t:` (types) and `m:`
 * (messages) namespaces, the RequestServerVersion and ExchangeImpersonation headers, and the two
 * ways Exchange says no: a response message with ResponseClass="Error" and a ResponseCode, or a
 * SOAP fault (HTTP 500) whose detail carries the ResponseCode (throttling, impersonation, schema).
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

/** Exchange 2016 schema: understood by Exchange 2016, 2019 and Subscription Edition. */
export const SERVER_VERSION = 'Exchange2016';

/** draftbridge's named MAPI properties (one property set, String values). */
export const PROPERTY_SET_ID = 'c2a7a3f1-4f0e-4b8e-9d3a-6b1d2e5f7a90';
export const REQUEST_PROPERTY = 'DraftbridgeRequestId';
export const HOLD_PROPERTY = 'DraftbridgeHoldFor';

export function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** `<t:ExtendedFieldURI …/>` for one of draftbridge's named properties. */
export function extendedFieldUri(name: string): string {
  return `<t:ExtendedFieldURI PropertySetId="${PROPERTY_SET_ID}" PropertyName="${name}" PropertyType="String"/>`;
}

export function extendedProperty(name: string, value: string): string {
  return (
    `<t:ExtendedProperty>${extendedFieldUri(name)}<t:Value>${escapeXml(value)}</t:Value>` +
    `</t:ExtendedProperty>`
  );
}

/** A whole request: the impersonated mailbox (if any) in the ExchangeImpersonation header. */
export function envelope(body: string, impersonate?: string): string {
  const impersonation = impersonate
    ? `<t:ExchangeImpersonation><t:ConnectingSID>` +
      `<t:PrimarySmtpAddress>${escapeXml(impersonate)}</t:PrimarySmtpAddress></t:ConnectingSID>` +
      `</t:ExchangeImpersonation>`
    : '';
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.types}" xmlns:m="${NS.messages}">` +
    `<soap:Header><t:RequestServerVersion Version="${SERVER_VERSION}"/>${impersonation}</soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** Elements that repeat: always arrays after parsing, even with one child. */
const REPEATED = new Set([
  'Message',
  'CalendarItem',
  'Item',
  'String',
  'Mailbox',
  'Attendee',
  'ExtendedProperty',
  'CalendarEvent',
  'WorkingPeriod',
  'FreeBusyResponse',
  'CreatedEvent',
  'DeletedEvent',
  'MovedEvent',
  'CopiedEvent',
  'ModifiedEvent',
  'NewMailEvent',
  'StatusEvent',
  'Create',
  'Update',
  'Delete',
  'Value',
  'Folder',
  'SearchFolder',
  'CalendarFolder',
  'ContactsFolder',
  'TasksFolder',
  'Notification',
  'ItemId',
]);
const RESPONSE_MESSAGE = /ResponseMessage$/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => REPEATED.has(name) || RESPONSE_MESSAGE.test(name),
});

/** A parsed XML node: children by local name, attributes as `@Name`, text as `#text`. */
export type XmlNode = Record<string, unknown>;

export function parseXml(xml: string): XmlNode {
  return parser.parse(xml) as XmlNode;
}

export function child(node: unknown, name: string): XmlNode | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const value = (node as XmlNode)[name];
  if (Array.isArray(value)) return value[0] as XmlNode | undefined;
  return value && typeof value === 'object' ? (value as XmlNode) : value === '' ? {} : undefined;
}

export function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as XmlNode)[name];
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) =>
    v && typeof v === 'object' ? (v as XmlNode) : { '#text': v },
  );
}

/** The text of a child element (or of the node itself with no name). */
export function text(node: unknown, name?: string): string | null {
  const target =
    name === undefined ? node : node && typeof node === 'object' ? (node as XmlNode)[name] : undefined;
  const first = Array.isArray(target) ? target[0] : target;
  if (first === undefined || first === null) return null;
  if (typeof first === 'string') return first;
  if (typeof first === 'object' && '#text' in first) return String((first as XmlNode)['#text']);
  return typeof first === 'object' ? '' : String(first);
}

export function attr(node: unknown, name: string): string | null {
  if (!node || typeof node !== 'object') return null;
  const value = (node as XmlNode)[`@${name}`];
  return value === undefined ? null : String(value);
}

/** A per-message answer that was not NoError (ResponseClass Error or Warning). */
export interface EwsResponseCode {
  code: string;
  message: string;
  /** MessageXml values by name (BackOffMilliseconds for ErrorServerBusy). */
  values: Record<string, string>;
}

/** A SOAP fault: the envelope was refused as a whole. */
export interface EwsFault extends EwsResponseCode {
  fault: true;
}

function messageXmlValues(node: XmlNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of children(node, 'Value')) {
    const name = attr(v, 'Name');
    if (name) out[name] = text(v) ?? '';
  }
  return out;
}

/** The Body of a response envelope, or the fault it carries. */
export function readEnvelope(xml: string): { body: XmlNode } | { fault: EwsFault } {
  const doc = parseXml(xml);
  const body = child(child(doc, 'Envelope'), 'Body');
  if (!body) throw new Error('not a SOAP envelope');
  const fault = child(body, 'Fault');
  if (fault) {
    const detail = child(fault, 'detail');
    const faultcode = (text(fault, 'faultcode') ?? '').replace(/^.*:/, '');
    return {
      fault: {
        fault: true,
        code: text(detail, 'ResponseCode') ?? faultcode ?? 'ErrorInternalServerError',
        message: text(fault, 'faultstring') ?? '',
        values: messageXmlValues(child(detail, 'MessageXml')),
      },
    };
  }
  return { body };
}

/** Each response message of an operation's response (`<m:CreateItemResponse>` → its `…ResponseMessage`s). */
export function responseMessages(body: XmlNode, operation: string): XmlNode[] {
  const response = child(body, `${operation}Response`);
  const messages = child(response, 'ResponseMessages');
  if (!messages) return [];
  const out: XmlNode[] = [];
  for (const [name, value] of Object.entries(messages)) {
    if (RESPONSE_MESSAGE.test(name) && Array.isArray(value)) out.push(...(value as XmlNode[]));
  }
  return out;
}

/** The error of a response message, null for NoError. */
export function responseError(message: XmlNode): EwsResponseCode | null {
  const code = text(message, 'ResponseCode') ?? 'NoError';
  if (attr(message, 'ResponseClass') === 'Success' || code === 'NoError') return null;
  return {
    code,
    message: text(message, 'MessageText') ?? '',
    values: messageXmlValues(child(message, 'MessageXml')),
  };
}

export interface EwsItemId {
  id: string;
  changeKey: string | null;
}

export function itemIdOf(node: XmlNode | undefined, name = 'ItemId'): EwsItemId | null {
  const id = child(node, name);
  const value = attr(id, 'Id');
  return value ? { id: value, changeKey: attr(id, 'ChangeKey') } : null;
}

/** The value of one of draftbridge's named properties on an item, null when absent. */
export function namedProperty(item: XmlNode | undefined, name: string): string | null {
  for (const p of children(item, 'ExtendedProperty')) {
    const uri = child(p, 'ExtendedFieldURI');
    if (attr(uri, 'PropertyName') === name && attr(uri, 'PropertySetId')?.toLowerCase() === PROPERTY_SET_ID)
      return text(p, 'Value');
  }
  return null;
}
