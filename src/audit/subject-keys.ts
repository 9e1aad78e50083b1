import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { RedisScript, type RedisClient as Redis } from '../redis.ts';

// Retention of subject keys, one batch: a key goes when the subject's last event is older than the
// cut-off (ARGV[1]) — re-checked here, so a subject sealed again meanwhile keeps its key.
const SWEEP_SCRIPT = new RedisScript(`
local removed = 0
for i = 2, #ARGV do
  local used = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if used and tonumber(used) < tonumber(ARGV[1]) then
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
  end
end
return removed
`);

/** How often at most a process records that it sealed with a subject's key (the sweep allows a day's margin). */
const TOUCH_EVERY_MS = 3_600_000;

/**
 * Crypto-shredding for the audit trail. The trail never holds a person, only a reference; but a
 * reference computed from the CRM id with the deployment's audit key alone could be recomputed by
 * anyone holding that key for as long as the trail exists. So each subject gets a random key of its
 * own, stored in Redis wrapped (AES-256-GCM) under a key derived from the audit key, and audit events
 * carry HMAC(subject key, reference). Erasure destroys the subject key: the events stay (the chain
 * still verifies) but nobody, not even with the audit key and the CRM id, can tell whose they were.
 * A later event about the same record gets a fresh key, unlinkable to the old events.
 */
export class SubjectKeys {
  private readonly redis: Redis;
  private readonly hashKey: string;
  private readonly wrapKey: KeyObject;
  /** Sorted set: subject reference → when an event was last sealed with its key (retention of the keys). */
  private readonly usedKey: string;
  private readonly touched = new Map<string, number>();

  constructor(redis: Redis, options: { prefix: string; auditKey: Buffer }) {
    this.redis = redis;
    this.hashKey = `${options.prefix}:audit:subject-keys`;
    this.usedKey = `${options.prefix}:audit:subject-keys:used`;
    // KeyObjects, not raw Buffers: Node checks a Buffer key on every cipher and HMAC (about 15 µs
    // against 2); the subject's own key is made into one per use, still the cheaper way.
    this.wrapKey = createSecretKey(
      createHmac('sha256', options.auditKey).update('draftbridge subject-key wrapping').digest(),
    );
  }

  /** The Redis hash the wrapped keys live in (field: the subject reference). */
  get hash(): string {
    return this.hashKey;
  }

  /**
   * The reference audit events carry for `ref`; creates the subject's key on first use. `wrapped`:
   * the hash field as the caller already read it in its own script (null: there was none).
   */
  async seal(ref: string, wrapped?: string | null): Promise<string> {
    this.touch(ref);
    const current = wrapped === undefined ? await this.redis.hget(this.hashKey, ref) : wrapped;
    if (current) return this.sealedWith(ref, current);
    return this.mac(await this.create(ref), ref);
  }

  /**
   * The reference sealed with the key `wrapped` holds, remembered per subject while that wrapped key
   * is the one Redis gives: a request's stages seal the same subject several times in seconds, and
   * each unwrap and HMAC cost a cipher set-up. Only an exact match of the wrapped key (just read from
   * Redis) hits, so a key shredded or replaced by another process is never used; `shred` forgets here.
   */
  private sealedWith(ref: string, wrapped: string): string {
    const known = this.recent.get(ref);
    if (known?.wrapped === wrapped) return known.sealed;
    const sealed = this.mac(this.unwrap(ref, wrapped), ref);
    if (this.recent.size >= 2_000) this.recent.clear();
    this.recent.set(ref, { wrapped, sealed });
    return sealed;
  }

  private readonly recent = new Map<string, { wrapped: string; sealed: string }>();

  /**
   * Records that the subject's key is in use (at most hourly per process, sent with whatever else goes
   * out): the sweeper drops a key only once the subject's last event is past the audit retention.
   */
  private touch(ref: string, now = Date.now()): void {
    if ((this.touched.get(ref) ?? 0) > now - TOUCH_EVERY_MS) return;
    if (this.touched.size >= 10_000) this.touched.clear();
    this.touched.set(ref, now);
    this.redis.zadd(this.usedKey, now, ref).catch(() => this.touched.delete(ref));
  }

  /**
   * Retention: drops the keys of subjects whose last event was sealed before `cutoff` (their events
   * are gone with the audit class), by the time-ordered record of use: the cost follows what expires.
   */
  async sweep(cutoff: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const refs = await this.redis.zrangebyscore(this.usedKey, '-inf', `(${cutoff}`, 'LIMIT', 0, 500);
      if (refs.length === 0) return removed;
      for (const ref of refs) this.recent.delete(ref);
      removed += (await SWEEP_SCRIPT.run(
        this.redis,
        [this.hashKey, this.usedKey],
        [cutoff, ...refs],
      )) as number;
    }
  }

  /** The sealed reference if the subject's key still exists (for reading), else null. */
  async peek(ref: string): Promise<string | null> {
    const key = await this.key(ref);
    return key ? this.mac(key, ref) : null;
  }

  /** Destroys the subject's key; returns whether there was one. */
  async shred(ref: string): Promise<boolean> {
    this.recent.delete(ref);
    this.touched.delete(ref);
    const [[, removed]] = (await this.redis
      .multi()
      .hdel(this.hashKey, ref)
      .zrem(this.usedKey, ref)
      .exec()) as [[null, number], unknown];
    return removed === 1;
  }

  private mac(key: Buffer, ref: string): string {
    return createHmac('sha256', createSecretKey(key))
      .update(`audit-subject\n${ref}`)
      .digest('hex')
      .slice(0, 32);
  }

  private async key(ref: string): Promise<Buffer | null> {
    const wrapped = await this.redis.hget(this.hashKey, ref);
    return wrapped ? this.unwrap(ref, wrapped) : null;
  }

  private unwrap(ref: string, wrapped: string): Buffer {
    const raw = Buffer.from(wrapped, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.wrapKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(ref));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }

  /**
   * The wrapped key a caller's own script should find for `ref` (field of `hash`), for an event it
   * seals beforehand and writes in that script: the one this process last saw, or, for a subject it
   * has not seen, a new key the script stores if the field is empty (`fresh`). The script writes the
   * event only if the field then holds exactly this key; otherwise the caller seals again with what
   * the field holds.
   */
  expected(ref: string): { wrapped: string; fresh: boolean } {
    const known = this.recent.get(ref);
    return known
      ? { wrapped: known.wrapped, fresh: false }
      : { wrapped: this.wrapNew(ref).wrapped, fresh: true };
  }

  private wrapNew(ref: string): { key: Buffer; wrapped: string } {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.wrapKey, iv);
    cipher.setAAD(Buffer.from(ref));
    const ct = Buffer.concat([cipher.update(key), cipher.final()]);
    return { key, wrapped: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64') };
  }

  private async create(ref: string): Promise<Buffer> {
    const { key, wrapped } = this.wrapNew(ref);
    // Two processes may create at once: the first write wins and both use it.
    if ((await this.redis.hsetnx(this.hashKey, ref, wrapped)) === 1) return key;
    return (await this.key(ref))!;
  }
}
