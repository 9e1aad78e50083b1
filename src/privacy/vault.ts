import type { RedisClient } from '../redis.ts';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';
import { DraftbridgeError, ERROR_CODES } from '../errors.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import { RedisScript } from '../redis.ts';

/**
 * The only place personal values rest: per request, small named sections, each AES-256-GCM
 * encrypted with a random IV, the request id and section as additional data (an envelope cannot
 * be moved to another request), and a key id so keys can rotate. TTL from the `vault` retention
 * class; erased as soon as the request reaches a terminal state.
 */
export interface VaultOptions {
  prefix: string;
  currentKey: Buffer;
  previousKeys?: Buffer[] | undefined;
  ttlMs: number;
  /** The request record a vault entry belongs to: `put` writes only while it exists, so a stage still
   * running when the person's data was erased cannot bring personal values back. */
  requestKey?: ((requestId: string) => string) | undefined;
}

// Write sections (ARGV[2..], field/value pairs) only while the request record exists (KEYS[2]); 0
// when it is gone.
const GUARDED_PUT = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/** A vault envelope that cannot be read: retrying reads the same bytes, so it never helps. */
export class VaultError extends DraftbridgeError {
  constructor(message: string) {
    super(ERROR_CODES.VAULT, message, { retryable: false });
  }
}

const ANY = z.unknown();

/**
 * Sealed sections of one request, ready for a script that writes them together with the change they
 * belong to (see `RequestStore.transition`): the hash key, its TTL and the field/envelope pairs.
 */
export interface SealedSections {
  key: string;
  ttlMs: number;
  fields: string[];
}

/**
 * The vault entry of what must outlive the pipeline's own entry (erased at the request's terminal
 * state), e.g. the draft body edit tracking compares with the sent mail. Its own TTL (the request's
 * retention); erased with the request on a data-subject erasure.
 */
export const keptVaultId = (requestId: string): string => `${requestId}.kept`;

/** The request a vault entry belongs to (a kept entry belongs to its request). */
export const requestOfVaultId = (vaultId: string): string => vaultId.replace(/\.kept$/, '');

const keyIdOf = (key: Buffer) =>
  createHash('sha256').update('draftbridge vault key id\n').update(key).digest('hex').slice(0, 8);

export class PseudonymVault {
  private readonly redis: RedisClient;
  private readonly keyNames: DraftbridgeKeys;
  private readonly ttlMs: number;
  private readonly requestKey: ((requestId: string) => string) | undefined;
  private readonly current: { id: string; key: KeyObject };
  private readonly keys = new Map<string, KeyObject>();

  constructor(redis: RedisClient, options: VaultOptions) {
    if (options.currentKey.length !== 32) throw new VaultError('vault key must be 32 bytes');
    this.redis = redis;
    this.keyNames = keysFor(options.prefix);
    this.ttlMs = options.ttlMs;
    this.requestKey = options.requestKey;
    // KeyObjects once, not a raw Buffer per call (key import is measurable on the hot path).
    this.current = { id: keyIdOf(options.currentKey), key: createSecretKey(options.currentKey) };
    for (const k of [options.currentKey, ...(options.previousKeys ?? [])])
      this.keys.set(keyIdOf(k), createSecretKey(k));
  }

  keyId(): string {
    return this.current.id;
  }

  /** The Redis key of a request's entry (also for a script that erases it with the request's last state). */
  keyOf(requestId: string): string {
    return this.keyNames.vault(requestId);
  }

  async put(requestId: string, section: string, value: unknown, ttlMs = this.ttlMs): Promise<void> {
    await this.putMany(requestId, { [section]: value }, ttlMs);
  }

  /** Several sections of one request in one write (one round trip). */
  async putMany(requestId: string, sections: Record<string, unknown>, ttlMs = this.ttlMs): Promise<void> {
    const { fields } = this.sealMany(requestId, sections, ttlMs);
    if (fields.length === 0) return;
    if (this.requestKey) {
      const written = await GUARDED_PUT.run(
        this.redis,
        [this.keyOf(requestId), this.requestKey(requestOfVaultId(requestId))],
        [ttlMs, ...fields],
      );
      if (written !== 1)
        throw new VaultError(`request ${requestId} no longer exists (erased or expired): nothing stored`);
      return;
    }
    await this.redis
      .multi()
      .hset(this.keyOf(requestId), ...fields)
      .pexpire(this.keyOf(requestId), ttlMs)
      .exec();
  }

  /**
   * Sections sealed but not written: the caller's script writes them (only while the request record
   * exists, as `putMany` does) in the same step as the state change they belong to.
   */
  sealMany(requestId: string, sections: Record<string, unknown>, ttlMs = this.ttlMs): SealedSections {
    const fields: string[] = [];
    for (const [section, value] of Object.entries(sections))
      fields.push(section, this.seal(requestId, section, value));
    return { key: this.keyOf(requestId), ttlMs, fields };
  }

  private seal(requestId: string, section: string, value: unknown): string {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(`${requestId}\n${section}`));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v1.${this.current.id}.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ciphertext.toString('base64url')}`;
  }

  /**
   * Decrypts a section and parses it with `schema` (what a stage reads is what it wrote, or it
   * fails loudly); `z.unknown()` where any shape is fine (access requests, rotation).
   */
  async get<S extends z.ZodType>(requestId: string, section: string, schema: S): Promise<z.output<S> | null> {
    const envelope = await this.redis.hget(this.keyOf(requestId), section);
    return envelope === null ? null : this.open(requestId, section, envelope, schema);
  }

  /** Several sections in one read (one round trip); each null when absent. */
  async getMany<T extends Record<string, z.ZodType>>(
    requestId: string,
    schemas: T,
  ): Promise<{ [K in keyof T]: z.output<T[K]> | null }> {
    const sections = Object.keys(schemas);
    const envelopes = await this.redis.hmget(this.keyOf(requestId), ...sections);
    const out: Record<string, unknown> = {};
    sections.forEach((section, i) => {
      const envelope = envelopes[i];
      out[section] =
        envelope === null || envelope === undefined
          ? null
          : this.open(requestId, section, envelope, schemas[section]!);
    });
    return out as { [K in keyof T]: z.output<T[K]> | null };
  }

  private open<S extends z.ZodType>(
    requestId: string,
    section: string,
    envelope: string,
    schema: S,
  ): z.output<S> {
    const [version, keyId, iv, tag, data] = envelope.split('.');
    if (version !== 'v1' || !keyId || !iv || !tag || data === undefined)
      throw new VaultError('malformed vault envelope');
    const key = this.keys.get(keyId);
    if (!key) throw new VaultError(`vault key ${keyId} is not configured (rotated out?)`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${requestId}\n${section}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
    } catch {
      throw new VaultError('vault envelope failed authentication (tampered, moved or wrong key)');
    }
    const parsed = schema.safeParse(JSON.parse(plain.toString('utf8')));
    // The issue paths name fields, never their (personal) values.
    if (!parsed.success)
      throw new VaultError(
        `vault section ${section} has an unexpected shape (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
      );
    return parsed.data;
  }

  async erase(requestId: string): Promise<number> {
    return this.redis.del(this.keyOf(requestId));
  }

  /** Re-encrypts every section of a request with the current key (after a rotation). */
  async rotate(requestId: string): Promise<number> {
    const sections = await this.redis.hkeys(this.keyOf(requestId));
    for (const s of sections) {
      const value = await this.get(requestId, s, ANY);
      if (value !== null) await this.put(requestId, s, value);
    }
    return sections.length;
  }
}

// Random 96-bit GCM IVs, drawn from the CSPRNG 256 at a time: a randomBytes call per IV costs about
// 5 µs of fixed overhead. Each IV is handed out once (createCipheriv copies it).
const IV_BYTES = 12;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 256);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}
