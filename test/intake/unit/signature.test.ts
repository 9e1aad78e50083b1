import { Signature } from '@hubspot/api-client';
import { describe, expect, it } from 'vitest';
import {
  hubspotSignedUri,
  signV1,
  signV2,
  signV3,
  verifyHubSpotSignature,
} from '../../../connectors/hubspot/signature.ts';

// A small deterministic generator so failures reproduce.
function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

const HOSTS = ['https://draftbridge.example.com', 'https://hooks.example.org:8443', 'http://127.0.0.1:3000'];
const PATHS = ['/webhooks/hubspot', '/webhooks/hubspot/workflow', '/prefix/webhooks/hubspot'];
const QUERIES = [
  '',
  '?flow=callback',
  '?portalId=62515&flow=new_lead',
  '?q=a%20b&x=%C3%A4%C3%B6%C3%BC',
  '?name=J%C3%BCrgen&n=1',
];
const TEXT = [
  'Rückruf',
  'Grüße',
  'Straße',
  '日本語',
  'emoji 🎉',
  'plain',
  '"quoted"',
  'line\nbreak',
  'tab\there',
];

function body(r: () => number): string {
  const n = 1 + Math.floor(r() * 5);
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      eventId: Math.floor(r() * 1e9),
      subscriptionId: 100 + i,
      portalId: 62515,
      occurredAt: 1_700_000_000_000 + Math.floor(r() * 1e9),
      subscriptionType: 'contact.propertyChange',
      objectId: Math.floor(r() * 1e6),
      propertyName: 'callback_notes',
      propertyValue: `${pick(r, TEXT)} ${pick(r, TEXT)}`,
    })),
  );
}

describe('HubSpot v3 signature', () => {
  it('matches the official SDK implementation on 500 generated bodies and URIs', () => {
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const uri = `${pick(r, HOSTS)}${pick(r, PATHS)}${pick(r, QUERIES)}`;
      const requestBody = body(r);
      const timestamp = 1_732_000_000_000 + i;
      const clientSecret = `secret-${i}-${pick(r, TEXT)}`;
      const official = Signature.getSignature('POST', 'v3', {
        signature: '',
        clientSecret,
        requestBody,
        url: uri,
        timestamp,
      });
      expect(signV3({ secret: clientSecret, method: 'POST', uri, body: requestBody, timestamp })).toBe(
        official,
      );
    }
  });

  it('matches the SDK for v2 as well', () => {
    const r = rng(7);
    for (let i = 0; i < 100; i++) {
      const uri = `${pick(r, HOSTS)}${pick(r, PATHS)}${pick(r, QUERIES)}`;
      const requestBody = body(r);
      const official = Signature.getSignature('POST', 'v2', {
        signature: '',
        clientSecret: 's3cret',
        requestBody,
        url: uri,
      });
      expect(signV2({ secret: 's3cret', method: 'POST', uri, body: requestBody })).toBe(official);
    }
  });

  it('decodes exactly the escapes HubSpot decodes before hashing', () => {
    expect(hubspotSignedUri('https://x.example.com/p%3Aa%2Fb%3Fc%40d%21e%24f%27g%28h%29i%2Aj%2Ck%3Bl')).toBe(
      "https://x.example.com/p:a/b?c@d!e$f'g(h)i*j,k;l",
    );
    // lower-case hex too; other escapes (space, umlauts, &, =, #) stay encoded
    expect(hubspotSignedUri('https://x.example.com/?a=%3a%2f&b=%20%C3%A4%26%3D%23')).toBe(
      'https://x.example.com/?a=:/&b=%20%C3%A4%26%3D%23',
    );
    const raw = 'https://x.example.com/webhooks/hubspot?state=a%3Ab%40c';
    const decoded = 'https://x.example.com/webhooks/hubspot?state=a:b@c';
    const viaRaw = signV3({ secret: 's', method: 'POST', uri: raw, body: '[]', timestamp: 1 });
    expect(viaRaw).toBe(
      Signature.getSignature('POST', 'v3', {
        signature: '',
        clientSecret: 's',
        requestBody: '[]',
        url: decoded,
        timestamp: 1,
      }),
    );
  });

  it('verifies a good request and rejects stale, future, tampered and unsigned ones', () => {
    const now = 1_732_000_000_000;
    const uri = 'https://draftbridge.example.com/webhooks/hubspot';
    const b = Buffer.from(body(rng(1)));
    const sign = (ts: number) => signV3({ secret: 'k', method: 'POST', uri, body: b, timestamp: ts });
    const headers = (ts: number, sig = sign(ts)) => ({
      'x-hubspot-signature-v3': sig,
      'x-hubspot-request-timestamp': String(ts),
    });
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri,
        body: b,
        headers: headers(now - 1000),
        now,
      }),
    ).toEqual({ ok: true, version: 'v3' });
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri,
        body: b,
        headers: headers(now - 301_000),
        now,
      }).ok,
    ).toBe(false);
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri,
        body: b,
        headers: headers(now + 400_000),
        now,
      }).ok,
    ).toBe(false);
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri,
        body: Buffer.concat([b, Buffer.from(' ')]),
        headers: headers(now),
        now,
      }).ok,
    ).toBe(false);
    expect(
      verifyHubSpotSignature({ secret: 'other', method: 'POST', uri, body: b, headers: headers(now), now })
        .ok,
    ).toBe(false);
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri: `${uri}?x=1`,
        body: b,
        headers: headers(now),
        now,
      }).ok,
    ).toBe(false);
    expect(verifyHubSpotSignature({ secret: 'k', method: 'POST', uri, body: b, headers: {}, now }).ok).toBe(
      false,
    );
    // The SDK agrees about the timestamp window.
    expect(() =>
      Signature.isValid({
        signatureVersion: 'v3',
        signature: sign(Date.now() - 301_000),
        clientSecret: 'k',
        requestBody: b.toString(),
        url: uri,
        timestamp: Date.now() - 301_000,
      }),
    ).toThrow();
  });

  it('accepts v1/v2 only where asked to, and never lets them stand in for a failed v3', () => {
    const uri = 'https://draftbridge.example.com/webhooks/hubspot/workflow';
    const body = Buffer.from('{"vid":1}');
    const v1 = { 'x-hubspot-signature': signV1({ secret: 'k', body }) };
    expect(verifyHubSpotSignature({ secret: 'k', method: 'POST', uri, body, headers: v1 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('v1'),
    });
    expect(
      verifyHubSpotSignature({ secret: 'k', method: 'POST', uri, body, headers: v1, accept: ['v1', 'v3'] }),
    ).toEqual({ ok: true, version: 'v1' });
    const v2 = {
      'x-hubspot-signature-version': 'v2',
      'x-hubspot-signature': signV2({ secret: 'k', method: 'POST', uri, body }),
    };
    expect(
      verifyHubSpotSignature({ secret: 'k', method: 'POST', uri, body, headers: v2, accept: ['v1', 'v3'] })
        .ok,
    ).toBe(false);
    expect(
      verifyHubSpotSignature({ secret: 'k', method: 'POST', uri, body, headers: v2, accept: ['v2'] }),
    ).toEqual({ ok: true, version: 'v2' });
    const now = Date.now();
    const badV3 = { 'x-hubspot-signature-v3': 'bad', 'x-hubspot-request-timestamp': String(now), ...v1 };
    expect(
      verifyHubSpotSignature({
        secret: 'k',
        method: 'POST',
        uri,
        body,
        headers: badV3,
        accept: ['v1', 'v3'],
        now,
      }).ok,
    ).toBe(false);
  });
});
