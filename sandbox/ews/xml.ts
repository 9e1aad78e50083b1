import { XMLParser } from 'fast-xml-parser';

/** The simulator's own reading and writing of EWS XML (independent of the connector's). */
export const TYPES_NS = 'http://schemas.microsoft.com/exchange/services/2006/types';
export const MESSAGES_NS = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const ERRORS_NS = 'http://schemas.microsoft.com/exchange/services/2006/errors';

export type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** Keeps the namespace prefixes: the envelope's namespaces are checked before anything else. */
const rawParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: true,
});

export const parse = (xml: string): Node => parser.parse(xml) as Node;
export const parseRaw = (xml: string): Node => rawParser.parse(xml) as Node;

export function list(node: unknown, name: string): Node[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as Node)[name];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (x && typeof x === 'object' ? (x as Node) : { '#text': x }));
}

export const one = (node: unknown, name: string): Node | undefined => list(node, name)[0];

export function str(node: unknown, name?: string): string | undefined {
  const target = name === undefined ? node : one(node, name);
  if (target === undefined) return undefined;
  if (typeof target !== 'object') return String(target);
  const t = (target as Node)['#text'];
  return t === undefined ? '' : String(t);
}

export function at(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as Node)[`@${name}`];
  return v === undefined ? undefined : String(v);
}

export const esc = (v: string) =>
  v.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** An EWS error as a response message's or a fault's content. */
export class EwsSimError extends Error {
  readonly code: string;
  readonly values: Record<string, string>;
  /** A SOAP fault (HTTP 500) instead of an error response message. */
  readonly fault: boolean;
  constructor(
    code: string,
    message: string,
    options: { fault?: boolean; values?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.fault = options.fault ?? false;
    this.values = options.values ?? {};
  }
}

const messageXml = (values: Record<string, string>, prefix: string) =>
  Object.keys(values).length
    ? `<${prefix}:MessageXml>${Object.entries(values)
        .map(([k, v]) => `<t:Value Name="${esc(k)}">${esc(v)}</t:Value>`)
        .join('')}</${prefix}:MessageXml>`
    : '';

/** `<m:{Op}ResponseMessage ResponseClass="Error">…` */
export function errorMessage(operation: string, err: EwsSimError): string {
  return (
    `<m:${operation}ResponseMessage ResponseClass="Error">` +
    `<m:MessageText>${esc(err.message)}</m:MessageText>` +
    `<m:ResponseCode>${err.code}</m:ResponseCode>` +
    `<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${messageXml(err.values, 'm')}</m:${operation}ResponseMessage>`
  );
}

export function successMessage(operation: string, inner: string): string {
  return (
    `<m:${operation}ResponseMessage ResponseClass="Success">` +
    `<m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${operation}ResponseMessage>`
  );
}

const SERVER_VERSION =
  `<h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2017_07_11" ` +
  `xmlns:h="${TYPES_NS}" xmlns="${TYPES_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>`;

export function responseEnvelope(inner: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP_NS}">` +
    `<s:Header>${SERVER_VERSION}</s:Header>` +
    `<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${inner}</s:Body>` +
    `</s:Envelope>`
  );
}

export function operationResponse(operation: string, messages: string): string {
  return responseEnvelope(
    `<m:${operation}Response xmlns:m="${MESSAGES_NS}" xmlns:t="${TYPES_NS}">` +
      `<m:ResponseMessages>${messages}</m:ResponseMessages></m:${operation}Response>`,
  );
}

/** A SOAP fault as Exchange sends it (HTTP 500): faultcode in the types namespace, the ResponseCode in the detail. */
export function faultEnvelope(err: EwsSimError): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP_NS}"><s:Body><s:Fault>` +
    `<faultcode xmlns:a="${TYPES_NS}">a:${err.code}</faultcode>` +
    `<faultstring xml:lang="en-US">${esc(err.message)}</faultstring>` +
    `<detail><e:ResponseCode xmlns:e="${ERRORS_NS}">${err.code}</e:ResponseCode>` +
    `<e:Message xmlns:e="${ERRORS_NS}">${esc(err.message)}</e:Message>` +
    `${
      Object.keys(err.values).length
        ? `<t:MessageXml xmlns:t="${TYPES_NS}">${Object.entries(err.values)
            .map(([k, v]) => `<t:Value Name="${esc(k)}">${esc(v)}</t:Value>`)
            .join('')}</t:MessageXml>`
        : ''
    }` +
    '</detail></s:Fault></s:Body></s:Envelope>'
  );
}
