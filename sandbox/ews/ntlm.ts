import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import md4 from 'js-md4';

/**
 * The server half of NTLM (MS-NLMP) as IIS runs it in front of /EWS/Exchange.asmx: a Type 1
 * (negotiate) gets a 401 with a Type 2 (challenge: 8 random bytes and the target info), a Type 3
 * (authenticate) on the same connection is checked by recomputing its NTLMv2 proof from the
 * account's password. NTLMv1 answers (24-byte responses) are refused, as a hardened domain does.
 */
const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const FLAGS = {
  unicode: 1 << 0,
  requestTarget: 1 << 2,
  ntlm: 1 << 9,
  alwaysSign: 1 << 15,
  targetTypeDomain: 1 << 16,
  extendedSessionSecurity: 1 << 19,
  targetInfo: 1 << 23,
};

export interface NtlmAccount {
  username: string;
  password: string;
  domain: string;
}

export interface NtlmChallenge {
  challenge: Buffer;
  message: string;
}

const ucs2 = (s: string) => Buffer.from(s, 'utf16le');

function avPair(id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}

/** Which NTLM message a header carries (1, 2, 3), or null when it is not NTLM. */
export function ntlmMessageType(header: string | undefined): { type: number; message: Buffer } | null {
  const match = /^(?:NTLM|Negotiate) ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return null;
  const message = Buffer.from(match[1]!, 'base64');
  if (message.length < 12 || !message.subarray(0, 8).equals(SIGNATURE)) return null;
  return { type: message.readUInt32LE(8), message };
}

/** A Type 2 message for `domain`, with a fresh server challenge. */
export function createChallenge(domain: string, server = 'EXCH01'): NtlmChallenge {
  const challenge = randomBytes(8);
  const target = ucs2(domain.toUpperCase());
  const info = Buffer.concat([
    avPair(2, ucs2(domain.toUpperCase())),
    avPair(1, ucs2(server)),
    avPair(4, ucs2(`${domain.toLowerCase()}.test`)),
    avPair(3, ucs2(`${server.toLowerCase()}.${domain.toLowerCase()}.test`)),
    avPair(0, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(48);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(target.length, 12);
  header.writeUInt16LE(target.length, 14);
  header.writeUInt32LE(48, 16);
  const flags =
    FLAGS.unicode |
    FLAGS.requestTarget |
    FLAGS.ntlm |
    FLAGS.alwaysSign |
    FLAGS.targetTypeDomain |
    FLAGS.extendedSessionSecurity |
    FLAGS.targetInfo;
  header.writeUInt32LE(flags >>> 0, 20);
  challenge.copy(header, 24);
  header.writeUInt16LE(info.length, 40);
  header.writeUInt16LE(info.length, 42);
  header.writeUInt32LE(48 + target.length, 44);
  return { challenge, message: `NTLM ${Buffer.concat([header, target, info]).toString('base64')}` };
}

function securityBuffer(message: Buffer, offset: number): Buffer {
  const length = message.readUInt16LE(offset);
  const at = message.readUInt32LE(offset + 4);
  if (at + length > message.length) throw new Error('security buffer outside the message');
  return message.subarray(at, at + length);
}

/**
 * Checks a Type 3 message against the challenge and the account; returns who signed in, or why not.
 * The NT hash needs MD4, which OpenSSL 3 no longer offers: js-md4 computes it.
 */
export function verifyAuthenticate(
  message: Buffer,
  challenge: Buffer,
  account: NtlmAccount,
): { user: string; domain: string } | { error: string } {
  if (message.length < 64 || message.readUInt32LE(8) !== 3) return { error: 'not a Type 3 message' };
  let nt: Buffer, domain: string, user: string;
  try {
    nt = securityBuffer(message, 20);
    domain = securityBuffer(message, 28).toString('utf16le');
    user = securityBuffer(message, 36).toString('utf16le');
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (nt.length <= 24) return { error: 'NTLMv1 response refused (LmCompatibilityLevel 5)' };
  if (
    user.toLowerCase() !== account.username.toLowerCase() ||
    domain.toLowerCase() !== account.domain.toLowerCase()
  )
    return { error: 'unknown user or domain' };
  const ntHash = Buffer.from(md4.arrayBuffer(ucs2(account.password)));
  const ntowfv2 = createHmac('md5', ntHash)
    .update(ucs2(user.toUpperCase() + domain))
    .digest();
  const proof = nt.subarray(0, 16);
  const blob = nt.subarray(16);
  if (blob.readUInt32BE(0) !== 0x01010000) return { error: 'NTLMv2 blob without its signature' };
  const expected = createHmac('md5', ntowfv2)
    .update(Buffer.concat([challenge, blob]))
    .digest();
  if (!timingSafeEqual(proof, expected)) return { error: 'wrong password' };
  return { user, domain };
}
