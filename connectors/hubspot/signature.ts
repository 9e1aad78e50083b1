import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HubSpot request signatures (v1, v2, v3). v3 signs method + URI + raw body + timestamp with
 * HMAC-SHA256 and the app's client secret. HubSpot decodes a fixed set of percent-escapes in the URI
 * before hashing, so we do the same (the SDK's Signature.isValid does not).
 */
export const MAX_TIMESTAMP_AGE_MS = 5 * 60_000;

const HUBSPOT_DECODED_ESCAPES = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

export function hubspotSignedUri(uri: string): string {
  return uri.replace(HUBSPOT_DECODED_ESCAPES, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function signV3(input: {
  secret: string;
  method: string;
  uri: string;
  body: string | Buffer;
  timestamp: string | number;
}): string {
  return createHmac('sha256', input.secret)
    .update(`${input.method.toUpperCase()}${hubspotSignedUri(input.uri)}`)
    .update(input.body)
    .update(String(input.timestamp))
    .digest('base64');
}

export function signV2(input: {
  secret: string;
  method: string;
  uri: string;
  body: string | Buffer;
}): string {
  return createHash('sha256')
    .update(input.secret)
    .update(input.method.toUpperCase())
    .update(input.uri)
    .update(input.body)
    .digest('hex');
}

export function signV1(input: { secret: string; body: string | Buffer }): string {
  return createHash('sha256').update(input.secret).update(input.body).digest('hex');
}

export type SignatureVersion = 'v1' | 'v2' | 'v3';
/** Why a signature failed, as a stable code for audit events and metrics (the reason is for the sender). */
export type SignatureFailure =
  | 'no_signature'
  | 'timestamp_missing'
  | 'timestamp_stale'
  | 'timestamp_future'
  | 'legacy_refused'
  | 'signature_mismatch';
export type SignatureVerdict =
  { ok: true; version: SignatureVersion } | { ok: false; code: SignatureFailure; reason: string };

/**
 * Checks the request's signature (v3 preferred). `uri` is the public URI HubSpot called. Only v3 has
 * a timestamp: v1/v2 bodies can be replayed forever, so they pass only where `accept` lists them
 * (app webhooks always sign v3; only workflow actions may still use v1/v2).
 */
export function verifyHubSpotSignature(input: {
  secret: string;
  method: string;
  uri: string;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  accept?: readonly SignatureVersion[];
  now?: number;
}): SignatureVerdict {
  const accept = input.accept ?? ['v3'];
  const header = (name: string) => {
    const v = input.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const v3 = header('x-hubspot-signature-v3');
  if (v3) {
    const ts = header('x-hubspot-request-timestamp');
    if (!ts || !/^\d{10,16}$/.test(ts))
      return {
        ok: false,
        code: 'timestamp_missing',
        reason: 'missing or malformed X-HubSpot-Request-Timestamp',
      };
    const age = (input.now ?? Date.now()) - Number(ts);
    if (age > MAX_TIMESTAMP_AGE_MS)
      return { ok: false, code: 'timestamp_stale', reason: 'timestamp older than 5 minutes' };
    if (age < -MAX_TIMESTAMP_AGE_MS)
      return { ok: false, code: 'timestamp_future', reason: 'timestamp in the future' };
    const expected = signV3({
      secret: input.secret,
      method: input.method,
      uri: input.uri,
      body: input.body,
      timestamp: ts,
    });
    return safeEqual(v3, expected)
      ? { ok: true, version: 'v3' }
      : { ok: false, code: 'signature_mismatch', reason: 'signature mismatch' };
  }
  const legacy = header('x-hubspot-signature');
  if (legacy) {
    const version = (header('x-hubspot-signature-version') ?? 'v1').toLowerCase() === 'v2' ? 'v2' : 'v1';
    if (!accept.includes(version))
      return {
        ok: false,
        code: 'legacy_refused',
        reason: `${version} signatures (no timestamp) are not accepted here; sign with v3`,
      };
    const expected =
      version === 'v2'
        ? signV2({ secret: input.secret, method: input.method, uri: input.uri, body: input.body })
        : signV1({ secret: input.secret, body: input.body });
    return safeEqual(legacy.toLowerCase(), expected)
      ? { ok: true, version }
      : { ok: false, code: 'signature_mismatch', reason: 'signature mismatch' };
  }
  return { ok: false, code: 'no_signature', reason: 'no HubSpot signature header' };
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
