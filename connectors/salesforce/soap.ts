import { XMLParser } from 'fast-xml-parser';

/**
 * SOAP 1.1 pieces shared by the outbound-message intake and the simulator: one parser configuration
 * (namespace prefixes dropped, values kept as text) and the envelopes Salesforce documents.
 */
export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';
export const METADATA_NS = 'http://soap.sforce.com/2006/04/metadata';
export const SOBJECT_NS = 'urn:sobject.enterprise.soap.sforce.com';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['Notification', 'fullNames', 'metadata'].includes(name),
});

export class SoapParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoapParseError';
  }
}

/** Parses an envelope and returns its Body's content; DTDs are refused (SOAP forbids them). */
export function parseSoapBody(xml: string): Record<string, unknown> {
  if (/<!DOCTYPE/i.test(xml)) throw new SoapParseError('DTDs are not allowed in SOAP messages');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    throw new SoapParseError(`not well-formed XML: ${(err as Error).message.split('\n')[0]!.slice(0, 80)}`);
  }
  const envelope = doc.Envelope as Record<string, unknown> | undefined;
  const body = envelope?.Body;
  if (!body || typeof body !== 'object') throw new SoapParseError('no SOAP Envelope/Body');
  return body as Record<string, unknown>;
}

/** The SessionHeader's sessionId (Metadata and SOAP API calls authenticate with it). */
export function parseSoapHeader(xml: string): string | undefined {
  try {
    const doc = parser.parse(xml) as { Envelope?: { Header?: { SessionHeader?: { sessionId?: unknown } } } };
    const id = doc.Envelope?.Header?.SessionHeader?.sessionId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The acknowledgement Salesforce waits for; anything else counts as a failed delivery and is retried. */
export function notificationsAck(ack = true): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}">` +
    `<soapenv:Body><notificationsResponse xmlns="${OUTBOUND_NS}"><Ack>${ack}</Ack></notificationsResponse></soapenv:Body>` +
    '</soapenv:Envelope>'
  );
}

export function soapFault(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"><soapenv:Body><soapenv:Fault>` +
    `<faultcode>${xmlEscape(code)}</faultcode><faultstring>${xmlEscape(message)}</faultstring>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}
