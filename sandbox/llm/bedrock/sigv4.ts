import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 verification, written from AWS's published description ("Create a signed
 * AWS API request": canonical request, string to sign, signing key), not from the SDK's signer, so a
 * signing mistake in the client shows up as the 403 AWS would answer.
 */

export interface SigV4Request {
  method: string;
  /** The path as sent (already URI-encoded once by the client), without the query. */
  rawPath: string;
  query: string;
  /** Lower-case header names; HTTP/2 pseudo-headers such as `:authority` included. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SigV4Expectation {
  service: string;
  region: string;
  /** Secret per access key id. */
  secrets: ReadonlyMap<string, string>;
  now?: Date;
}

export type SigV4Verdict =
  | { ok: true; accessKeyId: string }
  | {
      ok: false;
      errorType:
        'UnrecognizedClientException' | 'InvalidSignatureException' | 'MissingAuthenticationTokenException';
      message: string;
    };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as AWS specifies. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Every service but S3 encodes the (already encoded) path segments once more in the canonical URI. */
function canonicalUri(rawPath: string): string {
  return rawPath.split('/').map(uriEncode).join('/') || '/';
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .map((pair) => pair.split('=').map((p) => uriEncode(decodeURIComponent(p.replace(/\+/g, ' ')))))
    .sort(([a = '', av = ''], [b = '', bv = '']) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v = '']) => `${k}=${v}`)
    .join('&');
}

export function verifySigV4(request: SigV4Request, expect: SigV4Expectation): SigV4Verdict {
  const authorization = headerValue(request.headers, 'authorization');
  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!authorization || !amzDate)
    return {
      ok: false,
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  const m = AUTH.exec(authorization);
  if (!m)
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
    };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const secret = expect.secrets.get(accessKeyId!);
  if (!secret)
    return {
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  if (region !== expect.region)
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region. `,
    };
  if (service !== expect.service)
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: '${expect.service}'. `,
    };
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const now = (expect.now ?? new Date()).getTime();
  if (Number.isNaN(signedAt) || Math.abs(now - signedAt) > 5 * 60_000 || !amzDate.startsWith(date!)) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Signature expired: ${amzDate} is now earlier or later than the allowed 5 minutes.`,
    };
  }
  const names = signedHeaders!.split(';');
  // AWS insists that the host (HTTP/2: `:authority`) is signed.
  if (!names.includes('host') && !names.includes(':authority'))
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    };
  const canonicalHeaders = names
    .map((n) => `${n}:${(headerValue(request.headers, n) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    request.method,
    canonicalUri(request.rawPath),
    canonicalQuery(request.query),
    canonicalHeaders,
    signedHeaders,
    headerValue(request.headers, 'x-amz-content-sha256') ?? sha256Hex(request.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'));
  if (expected.length !== signature!.length || !timingSafeEqual(expected, Buffer.from(signature!))) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, accessKeyId: accessKeyId! };
}
