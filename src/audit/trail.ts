import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { RedisClient as Redis } from '../redis.ts';
import { z } from 'zod';
import { keysFor } from '../keys.ts';
import type { OutboundScanner } from '../ports.ts';
import { findPersonalValues, isGeneratedId } from './personal-data.ts';
import { RedisScript } from '../redis.ts';
import { SubjectKeys } from './subject-keys.ts';

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
  subject: z.string().regex(/^[a-f0-9]{32}$/).nullable().default(null),
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

// Commit a batch of links only if nobody sealed since we read the head (ARGV[1]).
const SEAL_SCRIPT = new RedisScript(`
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[2])
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

// Retention: drop events before the cut-off with their links; the last dropped link becomes the anchor.
const TRIM_SCRIPT = new RedisScript(`
local last = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', 1)
if #last == 0 then return 0 end
local anchor = redis.call('HGET', KEYS[2], last[1][1])
if not anchor then return -1 end
local removed = 0
while true do
  local batch = redis.call('XRANGE', KEYS[1], '-', ARGV[1], 'COUNT', 500)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    redis.call('HDEL', KEYS[2], entry[1])
    redis.call('XDEL', KEYS[1], entry[1])
    removed = removed + 1
  end
end
redis.call('SET', KEYS[3], anchor)
return removed
`);

export interface AuditTrailOptions {
  prefix: string;
  key: Buffer;
  /** Extra scanner for personal values (the privacy core's recognisers); the built-in one always runs. */
  scanner?: OutboundScanner;
  onScrubbed?: (type: string, findings: string[]) => void;
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

  constructor(redis: Redis, options: AuditTrailOptions) {
    this.redis = redis;
    this.key = createSecretKey(options.key);
    const keys = keysFor(options.prefix).audit;
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
    return this.subjects.shred(subject);
  }

  /** A stable pseudonymous reference to a CRM object: HMAC, so it can be matched but not reversed. */
  subjectRef(system: string, objectType: string, objectId: string | number): string {
    return createHmac('sha256', this.key).update(`subject\n${system}\n${objectType}\n${objectId}`).digest('hex').slice(0, 32);
  }

  /**
   * A keyed reference to a mail address (trimmed, lower-cased): the request record keeps this, never
   * the address, so a reply's sender can be compared with the offer's recipient.
   */
  addressRef(address: string): string {
    return createHmac('sha256', this.key).update(`mail-address\n${address.trim().toLowerCase()}`).digest('hex').slice(0, 32);
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
  async append(input: AuditEventInput, options: { wrappedSubjectKey?: string | null } = {}): Promise<AuditEvent> {
    const { fields, body } = await this.prepare(input, options);
    const wrapped = options.wrappedSubjectKey;
    let id: string;
    if (wrapped && input.subject) {
      const [added, streamId] = (await CHECKED_ADD_SCRIPT.run(this.redis, [this.streamKey, this.subjects.hash], [input.subject, wrapped, ...fields])) as [number, string?];
      if (added !== 1) return this.append(input);
      id = streamId!;
    } else {
      id = (await this.redis.xadd(this.streamKey, '*', ...fields))!;
    }
    await this.sealThrough(id);
    const linked = this.recentLinks.get(id);
    this.recentLinks.delete(id);
    const hash = linked?.link ?? (await this.redis.hget(this.linksKey, id)) ?? '';
    return { id, ...(JSON.parse(body) as Omit<AuditEvent, 'id' | 'prev' | 'hash'>), prev: linked?.prev ?? '', hash };
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
  async prepare(input: AuditEventInput, options: { wrappedSubjectKey?: string | null } = {}): Promise<{ fields: [string, string, string, string]; body: string }> {
    const parsed = AuditEventInput.parse(input);
    const details = this.scrub(parsed.type, parsed.details);
    const subject = parsed.subject === null ? null : await this.subjects.seal(parsed.subject, options.wrappedSubjectKey);
    const body = JSON.stringify({
      ts: new Date().toISOString(),
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

  /** Links every event after the sealed head, if nobody else does it first; true when none was left. */
  private async sealRound(): Promise<boolean> {
    const [raw, start, entries] = (await PENDING_SCRIPT.run(this.redis, [this.streamKey, this.headKey, this.anchorKey], [1000])) as [string, string, [string, string[]][]];
    const [headId, headLink] = raw ? (raw.split(' ') as [string, string]) : ['0-0', start || GENESIS];
    if (compareIds(headId, this.sealedTo) > 0) this.sealedTo = headId;
    if (entries.length === 0) return true;
    const args: string[] = [];
    const computed: [string, { prev: string; link: string }][] = [];
    let prev = headLink;
    for (const [id, fields] of entries) {
      const link = this.link(prev, id, fieldMap(fields).mac ?? '');
      computed.push([id, { prev, link }]);
      args.push(id, link);
      prev = link;
    }
    const lastId = entries[entries.length - 1]![0];
    const committed = await SEAL_SCRIPT.run(this.redis, [this.linksKey, this.headKey], [raw, `${lastId} ${prev}`, ...args]);
    if (committed === 1) {
      this.sealedTo = lastId;
      if (this.recentLinks.size > 10_000) this.recentLinks.clear();
      for (const [id, l] of computed) this.recentLinks.set(id, l);
    }
    // Not committed: another process sealed first; the next round starts from its head.
    return false;
  }

  /** Seals everything appended so far (before verifying or trimming). */
  private async sealAll(): Promise<void> {
    const [last] = (await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (last) await this.sealThrough(last[0]);
  }

  /** Walks the whole chain; names the first broken link. */
  async verify(): Promise<{ ok: true; checked: number } | { ok: false; checked: number; brokenAt: string; reason: string }> {
    await this.sealAll();
    // Check up to the sealed head as it is now: events other processes append meanwhile are not
    // linked yet, and are checked by the next verify.
    const head = await this.redis.get(this.headKey);
    const [headId = '0-0', headLink] = head ? head.split(' ') : [];
    let expectedPrev = (await this.redis.get(this.anchorKey)) ?? GENESIS;
    let checked = 0;
    let cursor = '-';
    for (;;) {
      const entries = (await this.redis.xrange(this.streamKey, cursor === '-' ? '-' : `(${cursor}`, headId, 'COUNT', 500)) as [string, string[]][];
      if (entries.length === 0) break;
      const links = await this.redis.hmget(this.linksKey, ...entries.map(([id]) => id));
      for (const [i, [id, fields]] of entries.entries()) {
        const f = fieldMap(fields);
        if (f.e === undefined || f.mac !== this.eventMac(f.e)) return { ok: false, checked, brokenAt: id, reason: 'hash mismatch (this event was edited)' };
        if (links[i] !== this.link(expectedPrev, id, f.mac)) {
          return { ok: false, checked, brokenAt: id, reason: 'previous-hash mismatch (an event before it was removed, reordered or edited)' };
        }
        expectedPrev = links[i]!;
        checked++;
      }
      cursor = entries[entries.length - 1]![0];
    }
    if (checked > 0 && headLink !== expectedPrev) return { ok: false, checked, brokenAt: 'head', reason: 'the last event(s) were removed' };
    return { ok: true, checked };
  }

  /** Reads events, newest last; optional filters for one request or one subject. */
  async read(options: { count?: number; requestId?: string; subject?: string } = {}): Promise<AuditEvent[]> {
    const raw = (await this.redis.xrange(this.streamKey, '-', '+')) as [string, string[]][];
    const links = raw.length > 0 ? await this.redis.hmget(this.linksKey, ...raw.map(([id]) => id)) : [];
    let prev = (await this.redis.get(this.anchorKey)) ?? GENESIS;
    const events = raw.map(([id, fields], i) => {
      const hash = links[i] ?? '';
      const event = toEvent(id, fieldMap(fields), prev, hash);
      prev = hash;
      return event;
    });
    // A subject filter matches the sealed reference while the subject's key exists (and the plain one of older events).
    const sealed = options.subject ? await this.subjects.peek(options.subject) : null;
    const filtered = events.filter(
      (e) => (!options.requestId || e.requestId === options.requestId) && (!options.subject || e.subject === options.subject || (sealed !== null && e.subject === sealed)),
    );
    return options.count ? filtered.slice(-options.count) : filtered;
  }

  /** Up to `count` events after the stream id `afterId` (exclusive), oldest first: for incremental readers. */
  async readAfter(afterId: string, count: number): Promise<AuditEvent[]> {
    const raw = (await this.redis.xrange(this.streamKey, `(${afterId}`, '+', 'COUNT', count)) as [string, string[]][];
    // Readers of new events want their content; the links are for verify().
    return raw.map(([id, fields]) => toEvent(id, fieldMap(fields), '', ''));
  }

  /** Retention: drops events older than `maxAgeMs`, keeping the chain verifiable from the new start. */
  async trim(maxAgeMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - maxAgeMs;
    // Only linked events may go: the last one removed anchors the chain for verification.
    await this.sealAll();
    // Stream ids start with the epoch ms; everything up to the end of `cutoff - 1` goes.
    const removed = (await TRIM_SCRIPT.run(this.redis, [this.streamKey, this.linksKey, this.anchorKey], [`${cutoff - 1}-18446744073709551615`])) as number;
    if (removed < 0) throw new Error('audit trim: the events before the cut-off are not linked yet');
    return removed;
  }

  private eventMac(body: string): string {
    return createHmac('sha256', this.key).update('event\n').update(body).digest('hex');
  }

  private link(prev: string, id: string, mac: string): string {
    return createHmac('sha256', this.key).update(prev).update('\n').update(id).update('\n').update(mac).digest('hex');
  }

  private scrub(type: string, details: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const findings: string[] = [];
    for (const [k, v] of Object.entries(details)) {
      const values = Array.isArray(v) ? v : [v];
      const found = values.flatMap((x) => (typeof x === 'string' && !isGeneratedId(x) ? [...findPersonalValues(x), ...(this.scanner?.(x) ?? [])] : []));
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
