import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { keysFor } from '../keys.ts';
import type { OutboundScanner } from '../ports.ts';
import { findPersonalValues } from './personal-data.ts';
import { RedisScript, type RedisClient } from '../redis.ts';

/**
 * The audit trail: an append-only Redis stream of events without personal data. Each event carries
 * the HMAC of its predecessor, so deleting, reordering or editing an entry breaks the chain, and
 * without DRAFTBRIDGE_AUDIT_KEY nobody can forge a consistent replacement.
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

/** Script answers: [1, stream id] appended, or [0, the head someone else appended]. */
const AppendReply = z.tuple([z.number(), z.string()]);

// Compare-and-append: the chain head moves only if nobody appended since we read it. A command
// re-sent after its reply was lost (the client resends unanswered commands when a failover drops the
// connection, and the replica may already hold the write) finds its own hash among the newest events
// and reports that event instead of a second copy.
export const APPEND_SCRIPT = new RedisScript(`
local head = redis.call('GET', KEYS[2])
if not head then head = ARGV[1] end
if head ~= ARGV[2] then
  for _, entry in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 64)) do
    local f = entry[2]
    for i = 1, #f, 2 do if f[i] == 'hash' and f[i + 1] == ARGV[4] then return {1, entry[1]} end end
  end
  return {0, head}
end
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[3], 'prev', ARGV[2], 'hash', ARGV[4])
redis.call('SET', KEYS[2], ARGV[4])
return {1, id}
`);

// Trim everything before the cut-off and remember the last trimmed hash as the new anchor.
const TRIM_SCRIPT = new RedisScript(`
local last = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', 1)
if #last == 0 then return 0 end
local fields = last[1][2]
local hash
for i = 1, #fields, 2 do if fields[i] == 'hash' then hash = fields[i + 1] end end
local before = redis.call('XLEN', KEYS[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
redis.call('SET', KEYS[2], hash)
return before - redis.call('XLEN', KEYS[1])
`);

export interface AuditTrailOptions {
  prefix: string;
  key: Buffer;
  /** Extra scanner for personal values (the privacy core's recognisers); the built-in one always runs. */
  scanner?: OutboundScanner;
  onScrubbed?: (type: string, findings: string[]) => void;
}

export class AuditTrail {
  private readonly redis: RedisClient;
  private readonly key: KeyObject;
  private readonly streamKey: string;
  private readonly headKey: string;
  private readonly anchorKey: string;
  private readonly scanner: OutboundScanner | undefined;
  private readonly onScrubbed: ((type: string, findings: string[]) => void) | undefined;

  constructor(redis: RedisClient, options: AuditTrailOptions) {
    this.redis = redis;
    this.key = createSecretKey(options.key);
    const keys = keysFor(options.prefix).audit;
    this.streamKey = keys.stream;
    this.headKey = keys.head;
    this.anchorKey = keys.anchor;
    this.scanner = options.scanner;
    this.onScrubbed = options.onScrubbed;
  }

  /** A stable pseudonymous reference to a CRM object: HMAC, so it can be matched but not reversed. */
  subjectRef(system: string, objectType: string, objectId: string | number): string {
    return createHmac('sha256', this.key).update(`subject\n${system}\n${objectType}\n${objectId}`).digest('hex').slice(0, 32);
  }

  private tail: Promise<unknown> = Promise.resolve();
  private lastHead: string | undefined;

  /** Appends in order; calls from one process are serialised so they do not race each other's CAS. */
  append(input: AuditEventInput): Promise<AuditEvent> {
    const next = this.tail.then(() => this.appendNow(input));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(input: AuditEventInput): Promise<AuditEvent> {
    const parsed = AuditEventInput.parse(input);
    const details = this.scrub(parsed.type, parsed.details);
    const event: z.infer<typeof AuditEventBody> = {
      ts: new Date().toISOString(),
      type: parsed.type,
      requestId: parsed.requestId,
      subject: parsed.subject,
      actor: parsed.actor,
      outcome: parsed.outcome,
      details,
    };
    const body = JSON.stringify(event);
    // The head we appended last is usually still the head; the script corrects us when it is not.
    let prev = this.lastHead ?? (await this.redis.get(this.headKey)) ?? GENESIS;
    for (let attempt = 0; attempt < 50; attempt++) {
      const hash = this.chainHash(prev, body);
      const [ok, value] = AppendReply.parse(await APPEND_SCRIPT.run(this.redis, [this.streamKey, this.headKey], [GENESIS, prev, body, hash]));
      if (ok === 1) {
        this.lastHead = hash;
        return { id: value, ...event, prev, hash };
      }
      prev = value; // someone appended first: chain onto their event
      // Writers in lockstep can starve one of them (the winner knows the new head a round trip
      // earlier); after a few lost races, a random pause breaks the step.
      if (attempt >= 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 10)));
    }
    throw new Error('audit append: head kept moving (50 attempts)');
  }

  /** Walks the whole chain; names the first broken link. */
  async verify(): Promise<{ ok: true; checked: number } | { ok: false; checked: number; brokenAt: string; reason: string }> {
    let expectedPrev = (await this.redis.get(this.anchorKey)) ?? GENESIS;
    let checked = 0;
    let cursor = '-';
    for (;;) {
      const batch = await this.redis.xrange(this.streamKey, cursor, '+', 'COUNT', 500);
      const entries = cursor === '-' ? batch : batch.slice(1);
      if (entries.length === 0) break;
      for (const [id, fields] of entries) {
        const f = fieldMap(fields);
        if (f.prev !== expectedPrev) return { ok: false, checked, brokenAt: id, reason: 'previous-hash mismatch (an event before it was removed, reordered or edited)' };
        if (f.e === undefined || f.hash !== this.chainHash(f.prev, f.e)) return { ok: false, checked, brokenAt: id, reason: 'hash mismatch (this event was edited)' };
        expectedPrev = f.hash;
        checked++;
      }
      cursor = entries[entries.length - 1]![0];
    }
    const head = (await this.redis.get(this.headKey)) ?? GENESIS;
    if (checked > 0 && head !== expectedPrev) return { ok: false, checked, brokenAt: 'head', reason: 'the last event(s) were removed' };
    return { ok: true, checked };
  }

  /** Reads events, newest last; optional filters for one request or one subject. */
  async read(options: { count?: number; requestId?: string; subject?: string } = {}): Promise<AuditEvent[]> {
    const raw = await this.redis.xrange(this.streamKey, '-', '+');
    const events = raw.map(([id, fields]) => toEvent(id, fieldMap(fields)));
    const filtered = events.filter(
      (e) => (!options.requestId || e.requestId === options.requestId) && (!options.subject || e.subject === options.subject),
    );
    return options.count ? filtered.slice(-options.count) : filtered;
  }

  /** Retention: drops events older than `maxAgeMs`, keeping the chain verifiable from the new start. */
  async trim(maxAgeMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - maxAgeMs;
    // Stream ids start with the epoch ms; everything strictly before `cutoff-0` goes.
    return z.number().parse(await TRIM_SCRIPT.run(this.redis, [this.streamKey, this.anchorKey], [`${cutoff - 1}-18446744073709551615`, `${cutoff}-0`]));
  }

  private chainHash(prev: string, body: string): string {
    return createHmac('sha256', this.key).update(prev).update('\n').update(body).digest('hex');
  }

  private scrub(type: string, details: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const findings: string[] = [];
    for (const [k, v] of Object.entries(details)) {
      const values = Array.isArray(v) ? v : [v];
      const found = values.flatMap((x) => (typeof x === 'string' ? [...findPersonalValues(x), ...(this.scanner?.(x) ?? [])] : []));
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

function toEvent(id: string, f: Record<string, string>): AuditEvent {
  const body = AuditEventBody.parse(JSON.parse(f.e ?? '{}'));
  return { id, ...body, prev: f.prev ?? '', hash: f.hash ?? '' };
}
