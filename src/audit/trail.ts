import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { RedisClient as Redis } from '../redis.ts';
import { z } from 'zod';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import { APPLY_OPS_LUA, ScriptOps } from './script-ops.ts';
import type { OutboundScanner } from '../ports.ts';
import { findPersonalValues, isGeneratedId } from './personal-data.ts';
import { RedisScript } from '../redis.ts';
import { SubjectKeys } from './subject-keys.ts';
import { HmacSha256 } from './hmac.ts';

/**
 * The audit trail: an append-only Redis stream of events without personal data, tamper-evident
 * without the key (DRAFTBRIDGE_AUDIT_KEY):
 * - every event carries `mac`, an HMAC of its own content, so an edited event shows;
 * - every event gets a `link` = HMAC(previous link, its stream id, its mac), kept beside the stream,
 *   so a removed, inserted or reordered event breaks the chain at its successor, and the sealed head
 *   shows a removed newest event.
 * Appending is a plain XADD and never waits for other writers. Linking ("sealing") happens after it,
 * in batches, by whichever process gets there first: a sealer reads the head, links everything after
 * it and commits only if the head has not moved (compare-and-set); when it has, another process
 * made the progress, and the next round starts from there. So appends succeed with any number of
 * processes, and `append` resolves once its event is linked.
 */

export const GENESIS = '0'.repeat(64);

const DetailValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const AuditEventInput = z.object({
  type: z.string().regex(/^[a-z][a-z0-9_.]*$/, 'dotted lower-case, e.g. webhook.accepted'),
  requestId: z.string().nullable().default(null),
  /** HMAC of the CRM object (see `subjectRef`), never a name or address. */
  subject: z
    .string()
    .regex(/^[a-f0-9]{32}$/)
    .nullable()
    .default(null),
  actor: z.string().min(1),
  outcome: z.string().min(1),
  details: z.record(z.string(), z.union([DetailValue, z.array(DetailValue)])).default({}),
});
export type AuditEventInput = z.input<typeof AuditEventInput>;

/** The stored body of one event (the stream entry's `e` field), parsed on read. */
const AuditEventBody = z.object({
  ts: z.string(),
  type: z.string(),
  requestId: z.string().nullable(),
  subject: z.string().nullable(),
  actor: z.string(),
  outcome: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export type AuditEvent = z.infer<typeof AuditEventBody> & { id: string; prev: string; hash: string };

// Commit a batch of links only if nobody sealed since we read the head (ARGV[1]), with what indexes
// the batch (ARGV[5], always) and what folds it into a follower's summary (ARGV[6]: only while the
// follower's cursor KEYS[3] stands at the old head ARGV[3], then moved to the new head ARGV[4]).
const SEAL_SCRIPT = new RedisScript(`${APPLY_OPS_LUA}
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
if #ARGV >= 7 then redis.call('HSET', KEYS[1], unpack(ARGV, 7)) end
redis.call('SET', KEYS[2], ARGV[2])
apply(ARGV[5])
if ARGV[6] ~= '' and (redis.call('GET', KEYS[3]) or '0-0') == ARGV[3] then
  apply(ARGV[6])
  redis.call('SET', KEYS[3], ARGV[4])
end
return 1
`);

// An event sealed with the subject key its caller read (ARGV[2], field ARGV[1] of KEYS[2]): added only
// while that key is still the subject's, {1, stream id}; otherwise {0} (an erasure destroyed or
// replaced it since), and the caller seals again with the key as it is now.
const CHECKED_ADD_SCRIPT = new RedisScript(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return {0} end
return {1, redis.call('XADD', KEYS[1], '*', ARGV[3], ARGV[4], ARGV[5], ARGV[6])}
`);

// What a seal round starts from, in one trip: the sealed head ("id link", or '' with the anchor
// link), and up to ARGV[1] events after it.
const PENDING_SCRIPT = new RedisScript(`
local head = redis.call('GET', KEYS[2])
local headId, start
if head then
  headId = string.match(head, '^(%S+)')
  start = head
else
  headId = '0-0'
  start = redis.call('GET', KEYS[3]) or ''
end
return {head or '', start, redis.call('XRANGE', KEYS[1], '(' .. headId, '+', 'COUNT', ARGV[1])}
`);

// Retention, one batch of the oldest events (ARGV[2..], all before the cut-off): they go with their
// links and index entries (ARGV[1]); the last one's link becomes the anchor the chain starts from.
const TRIM_BATCH_SCRIPT = new RedisScript(`${APPLY_OPS_LUA}
local last = ARGV[#ARGV]
local anchor = redis.call('HGET', KEYS[2], last)
if not anchor then return -1 end
redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
redis.call('HDEL', KEYS[2], unpack(ARGV, 2))
apply(ARGV[1])
redis.call('SET', KEYS[3], anchor)
redis.call('SET', KEYS[4], last)
return #ARGV - 1
`);

// One verification batch in one trip: up to ARGV[3] events in [ARGV[1], ARGV[2]] with their links.
const VERIFY_BATCH_SCRIPT = new RedisScript(`
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])
if #entries == 0 then return {entries, {}} end
local ids = {}
for i, e in ipairs(entries) do ids[i] = e[1] end
return {entries, redis.call('HMGET', KEYS[2], unpack(ids))}
`);

/** Follows the trail as it is sealed: folds each event into its own summary, in the seal's script. */
export interface AuditFollower {
  /** String key: the stream id up to which the follower has folded. */
  readonly cursorKey: string;
  fold(event: AuditEvent, ops: ScriptOps): void;
}

export type VerifyResult =
  { ok: true; checked: number } | { ok: false; checked: number; brokenAt: string; reason: string };

/** What the last verification of a kind found (also what the compliance documents cite). */
export interface VerificationRecord {
  kind: 'incremental' | 'full';
  at: string;
  ok: boolean;
  /** Events checked in that run. */
  events: number;
  /** Where the run started: a checkpoint's stream id, or `start` (the chain's first event). */
  from: string;
  durationMs: number;
  brokenAt?: string;
  reason?: string;
}

const DAY_MS = 86_400_000;
const VERIFY_BATCH = 2000;
const READ_BATCH = 200;

export interface AuditTrailOptions {
  prefix: string;
  key: Buffer;
  /** Extra scanner for personal values (the privacy core's recognisers); the built-in one always runs. */
  scanner?: OutboundScanner;
  onScrubbed?: (type: string, findings: string[]) => void;
  /** How long events are kept (the `audit` retention class): the per-subject and per-request indexes live as long. */
  retentionMs?: number;
  /** Folds each event into a summary as it is sealed (the review page's ledger). */
  follower?: AuditFollower;
}

export class AuditTrail {
  private readonly redis: Redis;
  private readonly key: KeyObject;
  private readonly streamKey: string;
  private readonly linksKey: string;
  private readonly headKey: string;
  private readonly anchorKey: string;
  private readonly scanner: OutboundScanner | undefined;
  private readonly onScrubbed: ((type: string, findings: string[]) => void) | undefined;
  private readonly keys: DraftbridgeKeys['audit'];
  private readonly hmac: HmacSha256;
  private readonly indexTtlMs: number;
  private readonly follower: AuditFollower | undefined;

  constructor(redis: Redis, options: AuditTrailOptions) {
    this.redis = redis;
    this.key = createSecretKey(options.key);
    this.hmac = new HmacSha256(options.key);
    const keys = keysFor(options.prefix).audit;
    this.keys = keys;
    // A day beyond the class: the sweeper removes expired entries; the TTL only catches what it missed.
    this.indexTtlMs = (options.retentionMs ?? 365 * DAY_MS) + DAY_MS;
    this.follower = options.follower;
    this.streamKey = keys.stream;
    this.linksKey = keys.links;
    this.headKey = keys.head;
    this.anchorKey = keys.anchor;
    this.scanner = options.scanner;
    this.onScrubbed = options.onScrubbed;
    this.subjects = new SubjectKeys(redis, { prefix: options.prefix, auditKey: options.key });
  }

  /** Per-subject keys: events carry a reference sealed with the subject's own key (crypto-shredding). */
  private readonly subjects: SubjectKeys;

  /** Erasure: destroys the subject's key, so the trail's references to the subject become unlinkable. */
  async shredSubject(subject: string): Promise<boolean> {
    // The subject's index goes first (its name is the sealed reference, computable only with the key).
    const sealed = await this.subjects.peek(subject);
    await this.redis.del(
      this.keys.subjectIndex(subject),
      ...(sealed ? [this.keys.subjectIndex(sealed)] : []),
    );
    return this.subjects.shred(subject);
  }

  /** Retention of subject keys: those whose subject's last event was sealed before `cutoff` go. */
  async sweepSubjectKeys(cutoff: number): Promise<number> {
    return this.subjects.sweep(cutoff);
  }

  /** A stable pseudonymous reference to a CRM object: HMAC, so it can be matched but not reversed. */
  subjectRef(system: string, objectType: string, objectId: string | number): string {
    return createHmac('sha256', this.key)
      .update(`subject\n${system}\n${objectType}\n${objectId}`)
      .digest('hex')
      .slice(0, 32);
  }

  /**
   * A keyed reference to a mail address (trimmed, lower-cased): the request record keeps this, never
   * the address, so a reply's sender can be compared with the offer's recipient.
   */
  addressRef(address: string): string {
    return createHmac('sha256', this.key)
      .update(`mail-address\n${address.trim().toLowerCase()}`)
      .digest('hex')
      .slice(0, 32);
  }

  /** Stream id up to which this process knows the chain is sealed. */
  private sealedTo = '0-0';
  private sealing: Promise<boolean> | null = null;
  /** Links this process computed in its last rounds, for the events its callers are waiting on. */
  private readonly recentLinks = new Map<string, { prev: string; link: string }>();

  /**
   * `wrappedSubjectKey`: the subject's field of `subjectKeysHash` as the caller already read it (see
   * `prepare`); the event is then added in one script that checks the field still holds it, so a key
   * destroyed since the read (an erasure) is never used, and without a read of its own.
   */
  async append(
    input: AuditEventInput,
    options: { wrappedSubjectKey?: string | null } = {},
  ): Promise<AuditEvent> {
    const { fields, body } = await this.prepare(input, options);
    const wrapped = options.wrappedSubjectKey;
    let id: string;
    if (wrapped && input.subject) {
      const [added, streamId] = (await CHECKED_ADD_SCRIPT.run(
        this.redis,
        [this.streamKey, this.subjects.hash],
        [input.subject, wrapped, ...fields],
      )) as [number, string?];
      if (added !== 1) return this.append(input);
      id = streamId!;
    } else {
      id = (await this.redis.xadd(this.streamKey, '*', ...fields))!;
    }
    await this.sealThrough(id);
    const linked = this.recentLinks.get(id);
    this.recentLinks.delete(id);
    const hash = linked?.link ?? (await this.redis.hget(this.linksKey, id)) ?? '';
    return {
      id,
      ...(JSON.parse(body) as Omit<AuditEvent, 'id' | 'prev' | 'hash'>),
      prev: linked?.prev ?? '',
      hash,
    };
  }

  /**
   * The hash of wrapped subject keys, for a caller that reads the subject's field in its own script
   * and hands it to `prepare` (one round trip less).
   */
  get subjectKeysHash(): string {
    return this.subjects.hash;
  }

  /** The subject's wrapped key a caller's script should find, to seal an event before it runs (see `SubjectKeys.expected`). */
  expectedSubjectKey(subject: string): { wrapped: string; fresh: boolean } {
    return this.subjects.expected(subject);
  }

  /** The stream events go to, for a caller that writes one inside its own script (see `prepare`). */
  get stream(): string {
    return this.streamKey;
  }

  /**
   * An event ready to XADD (`fields`), for a caller that writes it atomically with the change it
   * records (a request's state and its audit event in one script, so a crash between them cannot lose
   * the event). The caller then calls `linked(id)`.
   */
  async prepare(
    input: AuditEventInput,
    options: { wrappedSubjectKey?: string | null; at?: number } = {},
  ): Promise<{ fields: [string, string, string, string]; body: string }> {
    const parsed = AuditEventInput.parse(input);
    const details = this.scrub(parsed.type, parsed.details);
    const subject =
      parsed.subject === null ? null : await this.subjects.seal(parsed.subject, options.wrappedSubjectKey);
    const body = JSON.stringify({
      // `at`: an event imported with the time it happened (history written by the scale tool).
      ts: new Date(options.at ?? Date.now()).toISOString(),
      type: parsed.type,
      requestId: parsed.requestId,
      subject,
      actor: parsed.actor,
      outcome: parsed.outcome,
      details,
    });
    return { fields: ['e', body, 'mac', this.eventMac(body)], body };
  }

  /** Resolves once an event written by the caller (see `prepare`) is linked into the chain. */
  async linked(id: string): Promise<void> {
    await this.sealThrough(id);
    this.recentLinks.delete(id);
  }

  /** Resolves once the chain is sealed at least up to `id`; one round at a time per process. */
  private async sealThrough(id: string): Promise<void> {
    while (compareIds(this.sealedTo, id) < 0) {
      this.sealing ??= this.sealRound().finally(() => {
        this.sealing = null;
      });
      // Nothing left after the head: the event is sealed, or gone (trimmed) and needs no link.
      if (await this.sealing) return;
    }
  }

  /**
   * Links every event after the sealed head, if nobody else does it first; true when none was left.
   * The same script indexes the batch by subject and request and folds it into the follower's summary,
   * so each event is indexed and counted exactly once, by whichever process seals it.
   */
  private async sealRound(): Promise<boolean> {
    const [raw, start, entries] = (await PENDING_SCRIPT.run(
      this.redis,
      [this.streamKey, this.headKey, this.anchorKey],
      [1000],
    )) as [string, string, [string, string[]][]];
    const [headId, headLink] = raw ? (raw.split(' ') as [string, string]) : ['0-0', start || GENESIS];
    if (compareIds(headId, this.sealedTo) > 0) this.sealedTo = headId;
    if (entries.length === 0) return true;
    const args: string[] = [];
    const computed: [string, { prev: string; link: string }][] = [];
    const index = new ScriptOps(3);
    const folds = this.follower ? index.sibling() : undefined;
    const expiring = new Set<string>();
    let prev = headLink;
    for (const [id, fields] of entries) {
      const f = fieldMap(fields);
      const link = this.link(prev, id, f.mac ?? '');
      computed.push([id, { prev, link }]);
      args.push(id, link);
      const body = parseBody(f.e);
      if (body) {
        this.indexEvent(index, expiring, id, body);
        if (folds) this.follower!.fold({ id, ...body, prev, hash: link }, folds);
      }
      prev = link;
    }
    const lastId = entries[entries.length - 1]![0];
    const cursorKey = this.follower?.cursorKey ?? this.headKey;
    const committed = await SEAL_SCRIPT.run(
      this.redis,
      [this.linksKey, this.headKey, cursorKey, ...index.keys],
      [raw, `${lastId} ${prev}`, headId, lastId, index.toJson(), folds ? folds.toJson() : '', ...args],
    );
    if (committed === 1) {
      this.sealedTo = lastId;
      if (this.recentLinks.size > 10_000) this.recentLinks.clear();
      for (const [id, l] of computed) this.recentLinks.set(id, l);
    }
    // Not committed: another process sealed first; the next round starts from its head.
    return false;
  }

  /** The index entries of one event: its subject reference (as written) and its request. */
  private indexEvent(ops: ScriptOps, expiring: Set<string>, id: string, body: EventBody): void {
    const at = Number(id.slice(0, id.indexOf('-')));
    const add = (key: string) => {
      ops.zadd(key, at, id);
      if (!expiring.has(key)) {
        expiring.add(key);
        ops.pexpire(key, this.indexTtlMs);
      }
    };
    if (typeof body.subject === 'string' && SUBJECT_REF.test(body.subject))
      add(this.keys.subjectIndex(body.subject));
    if (typeof body.requestId === 'string' && body.requestId.length > 0)
      add(this.keys.requestIndex(body.requestId));
  }

  /** The stream id of the sealed head ('0-0' when nothing is sealed yet). */
  async sealedHeadId(): Promise<string> {
    const head = await this.redis.get(this.headKey);
    return head ? head.slice(0, head.indexOf(' ')) : '0-0';
  }

  /** Seals (links, indexes and folds) everything appended so far. */
  async seal(): Promise<void> {
    await this.sealAll();
  }

  /** Seals everything appended so far (before verifying or trimming). */
  private async sealAll(): Promise<void> {
    const [last] = (await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (last) await this.sealThrough(last[0]);
  }

  /**
   * Checks the chain and names the first broken link. `from: 'start'` (the default) walks it from its
   * first event; `from: 'checkpoint'` from the signed checkpoint the last successful verification
   * left (the whole chain when there is none). Streams in batches: memory stays flat at any length.
   * A clean run leaves a new checkpoint at the head it reached; every run is recorded (see
   * `lastVerification`).
   */
  async verify(options: { from?: 'start' | 'checkpoint'; now?: () => number } = {}): Promise<VerifyResult> {
    const now = options.now ?? Date.now;
    const started = now();
    const kind = options.from === 'checkpoint' ? 'incremental' : 'full';
    await this.sealAll();
    // Check up to the sealed head as it is now: events other processes append meanwhile are not
    // linked yet, and are checked by the next verify.
    const head = await this.redis.get(this.headKey);
    const [headId = '0-0', headLink] = head ? head.split(' ') : [];
    const start = await this.verifyStart(kind, headId);
    let result: VerifyResult;
    let from = 'start';
    if ('broken' in start) result = { ok: false, checked: 0, brokenAt: 'checkpoint', reason: start.broken };
    else {
      from = start.afterId === '-' ? 'start' : start.afterId;
      result = await this.walk(start.afterId, start.prev, headId, headLink);
      if (result.ok && head)
        await this.writeCheckpoint(headId, headLink!, start.count + result.checked, now());
    }
    const record: VerificationRecord = {
      kind,
      at: new Date(now()).toISOString(),
      ok: result.ok,
      events: result.checked,
      from,
      durationMs: now() - started,
      ...(result.ok ? {} : { brokenAt: result.brokenAt, reason: result.reason }),
    };
    await this.redis.hset(this.keys.verifications, kind, JSON.stringify(record));
    return result;
  }

  /** Where a verification starts: after the checkpoint (if asked for and still in the chain) or at the start. */
  private async verifyStart(
    kind: 'incremental' | 'full',
    headId: string,
  ): Promise<{ afterId: string; prev: string; count: number } | { broken: string }> {
    const [anchor, anchorId = '0-0', raw] = await this.redis.mget(
      this.anchorKey,
      this.keys.anchorId,
      this.keys.checkpoint,
    );
    const fromStart = { afterId: '-', prev: anchor ?? GENESIS, count: 0 };
    if (kind === 'full' || !raw) return fromStart;
    const cp = JSON.parse(raw) as Checkpoint;
    if (cp.mac !== this.checkpointMac(cp))
      return { broken: 'checkpoint signature mismatch (the checkpoint was edited or forged)' };
    if (compareIds(cp.id, headId) > 0)
      return { broken: 'the chain ends before the last checkpoint (events after it were removed)' };
    // Retention removed events after the checkpoint: the chain now starts at the anchor.
    if (compareIds(cp.id, anchorId ?? '0-0') < 0) return fromStart;
    return { afterId: cp.id, prev: cp.link, count: cp.count };
  }

  /** Checks events after `afterId` up to `headId`, starting from the link `prev`, in batches (the next one fetched while hashing). */
  private async walk(
    afterId: string,
    prev: string,
    headId: string,
    headLink: string | undefined,
  ): Promise<VerifyResult> {
    let expectedPrev = prev;
    let checked = 0;
    const fetch = (after: string) =>
      VERIFY_BATCH_SCRIPT.run(
        this.redis,
        [this.streamKey, this.linksKey],
        [after === '-' ? '-' : `(${after}`, headId, VERIFY_BATCH],
      ) as Promise<[[string, string[]][], (string | null)[]]>;
    let pending = headId === '0-0' ? null : fetch(afterId);
    while (pending) {
      const [entries, links] = await pending;
      if (entries.length === 0) break;
      pending = entries.length === VERIFY_BATCH ? fetch(entries[entries.length - 1]![0]) : null;
      for (let i = 0; i < entries.length; i++) {
        const [id, fields] = entries[i]!;
        // Events are written as e, body, mac, mac; anything else is read by name.
        const f =
          fields.length === 4 && fields[0] === 'e' && fields[2] === 'mac'
            ? { e: fields[1], mac: fields[3] }
            : fieldMap(fields);
        if (f.e === undefined || f.mac !== this.eventMac(f.e)) {
          await pending?.catch(() => undefined);
          return { ok: false, checked, brokenAt: id, reason: 'hash mismatch (this event was edited)' };
        }
        if (links[i] !== this.link(expectedPrev, id, f.mac)) {
          await pending?.catch(() => undefined);
          return {
            ok: false,
            checked,
            brokenAt: id,
            reason: 'previous-hash mismatch (an event before it was removed, reordered or edited)',
          };
        }
        expectedPrev = links[i]!;
        checked++;
      }
    }
    if (headLink !== undefined && headLink !== expectedPrev)
      return { ok: false, checked, brokenAt: 'head', reason: 'the last event(s) were removed' };
    return { ok: true, checked };
  }

  private async writeCheckpoint(id: string, link: string, count: number, at: number): Promise<void> {
    const unsigned = { id, link, count, at: new Date(at).toISOString() };
    await this.redis.set(
      this.keys.checkpoint,
      JSON.stringify({ ...unsigned, mac: this.checkpointMac(unsigned) }),
    );
  }

  /** The checkpoint's signature: HMAC with the audit key, so nobody without it can move it forward. */
  private checkpointMac(cp: Omit<Checkpoint, 'mac'>): string {
    return createHmac('sha256', this.key)
      .update(`checkpoint\n${cp.id}\n${cp.link}\n${cp.count}\n${cp.at}`)
      .digest('hex');
  }

  /**
   * Reads events, newest last; optional filters for one request or one subject. A filtered read goes
   * through the subject's or the request's index and touches only those events, in bounded batches.
   */
  async read(options: { count?: number; requestId?: string; subject?: string } = {}): Promise<AuditEvent[]> {
    // The indexes are written as events are sealed.
    await this.sealAll();
    if (options.subject || options.requestId) return this.readIndexed(options);
    const events: AuditEvent[] = [];
    let prev = (await this.redis.get(this.anchorKey)) ?? GENESIS;
    let after = '-';
    for (;;) {
      const [raw, links] = (await VERIFY_BATCH_SCRIPT.run(
        this.redis,
        [this.streamKey, this.linksKey],
        [after === '-' ? '-' : `(${after}`, '+', VERIFY_BATCH],
      )) as [[string, string[]][], (string | null)[]];
      for (let i = 0; i < raw.length; i++) {
        const [id, fields] = raw[i]!;
        const hash = links[i] ?? '';
        events.push(toEvent(id, fieldMap(fields), prev, hash));
        prev = hash;
      }
      if (raw.length < VERIFY_BATCH) break;
      after = raw[raw.length - 1]![0];
    }
    return options.count ? events.slice(-options.count) : events;
  }

  private async readIndexed(options: {
    count?: number;
    requestId?: string;
    subject?: string;
  }): Promise<AuditEvent[]> {
    const indexes: string[] = [];
    if (options.subject) {
      // The sealed reference while the subject's key exists, and the plain one of older events.
      const sealed = await this.subjects.peek(options.subject);
      indexes.push(this.keys.subjectIndex(options.subject));
      if (sealed !== null) indexes.push(this.keys.subjectIndex(sealed));
    } else indexes.push(this.keys.requestIndex(options.requestId!));
    const lists = await Promise.all(indexes.map((k) => this.redis.zrange(k, 0, -1)));
    const ids = [...new Set(lists.flat())].sort(compareIds);
    const events: AuditEvent[] = [];
    const anchor = (await this.redis.get(this.anchorKey)) ?? GENESIS;
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const batch = ids.slice(i, i + READ_BATCH);
      // Each event with the one before it in the chain (whose link is the event's `prev`).
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.xrevrange(this.streamKey, id, '-', 'COUNT', 2);
      const found = ((await pipeline.exec()) ?? []).map(([err, v]) =>
        err ? [] : (v as [string, string[]][]),
      );
      const pairs = found.flatMap((entries, j) =>
        entries[0]?.[0] === batch[j] ? [{ entry: entries[0]!, before: entries[1]?.[0] }] : [],
      );
      if (pairs.length === 0) continue;
      const linkIds = pairs.flatMap((p) => (p.before ? [p.entry[0], p.before] : [p.entry[0]]));
      const links = await this.redis.hmget(this.linksKey, ...linkIds);
      const linkOf = new Map(linkIds.map((id, k) => [id, links[k] ?? '']));
      for (const { entry, before } of pairs) {
        const event = toEvent(
          entry[0],
          fieldMap(entry[1]),
          before ? linkOf.get(before)! : anchor,
          linkOf.get(entry[0])!,
        );
        if (options.requestId && event.requestId !== options.requestId) continue;
        events.push(event);
      }
    }
    return options.count ? events.slice(-options.count) : events;
  }

  /** Up to `count` events after the stream id `afterId` (exclusive), oldest first: for incremental readers. */
  async readAfter(afterId: string, count: number, options: { through?: string } = {}): Promise<AuditEvent[]> {
    const raw = (await this.redis.xrange(
      this.streamKey,
      `(${afterId}`,
      options.through ?? '+',
      'COUNT',
      count,
    )) as [string, string[]][];
    // Readers of new events want their content; the links are for verify().
    return raw.map(([id, fields]) => toEvent(id, fieldMap(fields), '', ''));
  }

  /**
   * Retention: drops events older than `maxAgeMs` with their links and index entries, oldest first in
   * batches (the stream is the time-ordered index: the cost follows what expires, not what is kept),
   * keeping the chain verifiable from the new start.
   */
  async trim(maxAgeMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - maxAgeMs;
    // Only linked events may go: the last one removed anchors the chain for verification.
    await this.sealAll();
    // Stream ids start with the epoch ms; everything up to the end of `cutoff - 1` goes.
    const end = `${cutoff - 1}-18446744073709551615`;
    let removed = 0;
    for (;;) {
      const batch = (await this.redis.xrange(this.streamKey, '-', end, 'COUNT', 1000)) as [
        string,
        string[],
      ][];
      if (batch.length === 0) return removed;
      const ops = new ScriptOps(4);
      for (const [id, fields] of batch) {
        const body = parseBody(fieldMap(fields).e);
        if (typeof body?.subject === 'string' && SUBJECT_REF.test(body.subject))
          ops.zrem(this.keys.subjectIndex(body.subject), id);
        if (typeof body?.requestId === 'string' && body.requestId)
          ops.zrem(this.keys.requestIndex(body.requestId), id);
      }
      const n = (await TRIM_BATCH_SCRIPT.run(
        this.redis,
        [this.streamKey, this.linksKey, this.anchorKey, this.keys.anchorId, ...ops.keys],
        [ops.toJson(), ...batch.map(([id]) => id)],
      )) as number;
      if (n < 0) throw new Error('audit trim: the events before the cut-off are not linked yet');
      removed += n;
    }
  }

  private eventMac(body: string): string {
    return this.hmac.hex(`event\n${body}`);
  }

  private link(prev: string, id: string, mac: string): string {
    return this.hmac.hex(`${prev}\n${id}\n${mac}`);
  }

  private scrub(type: string, details: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const findings: string[] = [];
    for (const [k, v] of Object.entries(details)) {
      const values = Array.isArray(v) ? v : [v];
      const found = values.flatMap((x) =>
        typeof x === 'string' && !isGeneratedId(x)
          ? [...findPersonalValues(x), ...(this.scanner?.(x) ?? [])]
          : [],
      );
      if (found.length > 0) {
        findings.push(...found);
        out[k] = '[removed: personal data]';
      } else {
        out[k] = v;
      }
    }
    if (findings.length > 0) this.onScrubbed?.(type, findings);
    return out;
  }
}

function fieldMap(fields: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  return m;
}

interface Checkpoint {
  id: string;
  link: string;
  count: number;
  at: string;
  mac: string;
}

const SUBJECT_REF = /^[a-f0-9]{32}$/;

type EventBody = z.infer<typeof AuditEventBody>;

/** The stored body as the sealer reads it: plain JSON (the hot path skips the schema), null when unreadable. */
function parseBody(e: string | undefined): EventBody | null {
  if (e === undefined) return null;
  try {
    const body = JSON.parse(e) as EventBody | null;
    return body && typeof body === 'object' ? body : null;
  } catch {
    return null;
  }
}

/** The last verification (of `kind`, or the latest of either), as `AuditTrail.verify` recorded it. */
export async function lastVerification(
  redis: Redis,
  keys: Pick<DraftbridgeKeys, 'audit'>,
  kind?: 'incremental' | 'full',
): Promise<VerificationRecord | null> {
  const all = await redis.hgetall(keys.audit.verifications);
  const records = Object.entries(all)
    .filter(([k]) => !kind || k === kind)
    .map(([, v]) => JSON.parse(v) as VerificationRecord);
  return records.sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null;
}

function toEvent(id: string, f: Record<string, string>, prev: string, hash: string): AuditEvent {
  const body = AuditEventBody.parse(JSON.parse(f.e ?? '{}'));
  return { id, ...body, prev, hash };
}

/** Orders stream ids (`ms-seq`, two unsigned 64-bit decimals) numerically, without BigInt allocations. */
export function compareIds(a: string, b: string): number {
  const i = a.indexOf('-');
  const j = b.indexOf('-');
  return compareDecimal(a.slice(0, i), b.slice(0, j)) || compareDecimal(a.slice(i + 1), b.slice(j + 1));
}

/** Decimals without leading zeros (as Redis writes them): the longer is larger, else the string order. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
