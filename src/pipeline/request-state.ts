import { z } from 'zod';
import type { AuditEventInput, AuditTrail } from '../audit/trail.ts';
import { DraftbridgeError, ERROR_CODES, RequestNotFound } from '../errors.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import { requestOutcomes } from '../metrics.ts';
import { RedisScript, type RedisClient } from '../redis.ts';
import type { PseudonymVault, SealedSections } from '../privacy/vault.ts';

/**
 * A request's state lives in Redis (ids and codes only, never personal data) with a TTL from its
 * retention class. It changes only through `transition`, which also writes the audit event and, on a
 * terminal state, erases the request's vault entry.
 */
export const RequestState = z.enum(['received', 'fetched', 'drafted', 'awaiting_review', 'sent', 'rejected', 'blocked_sensitive', 'suppressed', 'failed', 'booked']);
export type RequestState = z.infer<typeof RequestState>;

/** The pipeline is done with the request (the vault is no longer needed). */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set(['awaiting_review', 'sent', 'rejected', 'blocked_sensitive', 'suppressed', 'failed', 'booked']);

const ALLOWED_FROM: Record<RequestState, readonly RequestState[]> = {
  received: [],
  fetched: ['received'],
  drafted: ['fetched'],
  awaiting_review: ['drafted'],
  // awaiting_review → sent: the reviewer sent the draft in Outlook (approval); → rejected: deleted it.
  sent: ['drafted', 'awaiting_review'],
  rejected: ['awaiting_review'],
  blocked_sensitive: ['received', 'fetched'],
  suppressed: ['received', 'fetched'],
  failed: ['received', 'fetched', 'drafted'],
  // sent → booked: the contact's reply named one offered slot and the meeting is in the calendar.
  booked: ['sent'],
};

export const RequestRecord = z.object({
  requestId: z.string(),
  state: RequestState,
  flow: z.string(),
  source: z.string(),
  /** CRM account (portal, org) and record; ids only. */
  account: z.string(),
  objectType: z.enum(['contact', 'lead']).default('contact'),
  contactId: z.string(),
  subject: z.string(),
  createdAt: z.coerce.number(),
  updatedAt: z.coerce.number(),
  /** Optional facts later stages record: codes and ids only. */
  route: z.string().optional(),
  language: z.string().optional(),
  messageId: z.string().optional(),
  noteId: z.string().optional(),
  ownerId: z.string().optional(),
  templateFallback: z.string().optional(),
  /** How the draft was made: llm, llm_without_note (leak guard refused the note) or template. */
  draftPath: z.string().optional(),
  reason: z.string().optional(),
  categories: z.string().optional(),
  /** Offered appointment slots, "start/end" in UTC, space-separated (times only, no personal data). */
  slots: z.string().optional(),
  /** IANA zone the slots were offered in (the contact's), to read the reply in. */
  slotZone: z.string().optional(),
  /** HMAC of the offer's recipient address (AuditTrail.addressRef): only that sender's reply books. */
  recipientRef: z.string().optional(),
  /** The note's scheduling wishes as codes (scheduling/wishes.ts, JSON), to check a counter-proposal. */
  slotWishes: z.string().optional(),
  /** Why no offered slot could meet the note's wishes (scheduling/unmet.ts code), for the rep's note. */
  slotsUnmet: z.string().optional(),
  /** The booked slot ("start/end", UTC) and the calendar event's id. */
  bookedSlot: z.string().optional(),
  eventId: z.string().optional(),
  /** Set when an operator reopened a dead-lettered request: its earlier run may have left a draft. */
  reopened: z.string().optional(),
});
export type RequestRecord = z.infer<typeof RequestRecord>;

export type RequestFacts = Partial<Pick<RequestRecord, 'route' | 'language' | 'messageId' | 'noteId' | 'ownerId' | 'templateFallback' | 'draftPath' | 'reason' | 'categories' | 'slots' | 'slotZone' | 'bookedSlot' | 'eventId' | 'recipientRef' | 'slotWishes' | 'slotsUnmet'>>;

// Moves the state from the predecessor the caller saw (compare-and-set) and writes its audit event in
// the same script: a crash can never leave a state change without its event. A repeat of the same
// transition is a no-op (retries). The event's subject reference was sealed with the subject's key as
// the caller read it (ARGV[10], field ARGV[9] of KEYS[3]); if that key was destroyed meanwhile (an
// erasure), the caller must read again rather than link the event to the erased subject.
// The request's vault entry (KEYS[4]) changes with the state: ARGV[11] 'write' stores the sealed
// sections ARGV[13..] (TTL ARGV[12]) that the new state needs, 'erase' drops the entry with a
// terminal state (again on a repeat: a retry finishes what a crash left).
// Returns {code, current, audit stream id}.
const TRANSITION_SCRIPT = new RedisScript(`
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {-1, ''} end
if current == ARGV[1] then
  if ARGV[11] == 'erase' then redis.call('DEL', KEYS[4]) end
  return {0, current}
end
if current ~= ARGV[4] then return {-3, current} end
if ARGV[10] ~= '' and redis.call('HGET', KEYS[3], ARGV[9]) ~= ARGV[10] then return {-3, current} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'updatedAt', ARGV[2])
local facts = cjson.decode(ARGV[3])
for k, v in pairs(facts) do redis.call('HSET', KEYS[1], k, v) end
if ARGV[11] == 'write' then
  redis.call('HSET', KEYS[4], unpack(ARGV, 13))
  redis.call('PEXPIRE', KEYS[4], ARGV[12])
elseif ARGV[11] == 'erase' then
  redis.call('DEL', KEYS[4])
end
local id = redis.call('XADD', KEYS[2], '*', ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return {1, current, id}
`);

// A record as a stage reads it, with its subject's wrapped audit key (field of KEYS[2]), so that a
// transition from what the stage saw needs no second read.
const GET_SCRIPT = new RedisScript(`
local r = redis.call('HGETALL', KEYS[1])
local wrapped = false
for i = 1, #r, 2 do
  if r[i] == 'subject' then wrapped = redis.call('HGET', KEYS[2], r[i + 1]) end
end
return {r, wrapped}
`);

// What a transition reads first, in one trip: state, flow and subject of the record (KEYS[1]) and the
// subject's wrapped audit key (field of KEYS[2]), for the audit event.
const READ_FOR_TRANSITION_SCRIPT = new RedisScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'flow', 'subject')
local wrapped = false
if r[3] then wrapped = redis.call('HGET', KEYS[2], r[3]) end
return {r[1], r[2], r[3], wrapped}
`);

const NOTE_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`);

// Creates the record with all its fields and indexes it under its subject, unless it exists, and
// writes its audit event (ARGV[6..9]) in the same script, so a crash can never leave a record without
// it. The event's subject reference was sealed beforehand with the key ARGV[4] (see
// `SubjectKeys.expected`), stored first if the subject has none and ARGV[5] is '1'; it is written
// only if the subject's field (ARGV[3] of KEYS[3]) holds exactly that key. Returns {code, the
// record's fields, the subject's wrapped key or nil, audit stream id}: 1 created with its event,
// 2 created without it (the caller appends it, sealed with the key returned), 0 it existed.
const OPEN_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1]), redis.call('HGET', KEYS[3], ARGV[3])}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 10))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local wrapped = redis.call('HGET', KEYS[3], ARGV[3])
if not wrapped and ARGV[5] == '1' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
  wrapped = ARGV[4]
end
if wrapped ~= ARGV[4] then return {2, redis.call('HGETALL', KEYS[1]), wrapped} end
local id = redis.call('XADD', KEYS[4], '*', ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return {1, redis.call('HGETALL', KEYS[1]), wrapped, id}
`);

/** A hash as a script returns HGETALL: field, value, field, value, … */
function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

export class InvalidTransition extends DraftbridgeError {
  constructor(requestId: string, from: string, to: RequestState) {
    super(ERROR_CODES.INVALID_TRANSITION, `request ${requestId}: cannot move from ${from} to ${to}`, { retryable: false });
  }
}

export interface RequestStoreOptions {
  prefix: string;
  ttlMs: number;
  audit: AuditTrail;
  /** The requests' vault entries: erased in the same script as a terminal state is written. */
  vault?: Pick<PseudonymVault, 'keyOf'>;
  /** Called when a request reaches a terminal state, after the state (and the vault erase) is written. */
  onTerminal?: (requestId: string) => Promise<unknown>;
}

export class RequestStore {
  private readonly redis: RedisClient;
  private readonly options: RequestStoreOptions;
  private readonly keys: DraftbridgeKeys;
  /** The subject's wrapped audit key as read with each record `get` returned (see `transition`'s `seen`). */
  private readonly readWith = new WeakMap<RequestRecord, string | null>();
  /** The CRM note ids (`note:*` fields) of the hash a record was read from by `get`. */
  private readonly notesRead = new WeakMap<RequestRecord, Record<string, string>>();

  constructor(redis: RedisClient, options: RequestStoreOptions) {
    this.redis = redis;
    this.options = options;
    this.keys = keysFor(options.prefix);
  }

  private key(requestId: string): string {
    return this.keys.request(requestId);
  }

  /** Creates the record in `received` unless it exists, audited once; returns the record either way. */
  async open(input: Omit<RequestRecord, 'state' | 'createdAt' | 'updatedAt'>): Promise<{ record: RequestRecord; created: boolean }> {
    const now = Date.now();
    const key = this.key(input.requestId);
    const fields = { ...input, state: 'received', createdAt: String(now), updatedAt: String(now) };
    const { audit } = this.options;
    const received = { type: 'request.received', requestId: input.requestId, subject: input.subject, actor: 'pipeline', outcome: 'received', details: { flow: input.flow, source: input.source } };
    // The event is sealed before the script knows whether it creates the record (a redelivery
    // wastes that), so that the record and its event are written together, in one round trip.
    const expected = audit.expectedSubjectKey(input.subject);
    const event = await audit.prepare(received, { wrappedSubjectKey: expected.wrapped });
    // One script: a reader never sees a half-written record. The subject index lets a data-subject
    // request find every request about the person.
    const [code, flat, wrapped = null, id] = (await OPEN_SCRIPT.run(
      this.redis,
      [key, this.subjectKey(input.subject), audit.subjectKeysHash, audit.stream],
      [this.options.ttlMs, input.requestId, input.subject, expected.wrapped, expected.fresh ? '1' : '0', ...event.fields, ...Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]))],
    )) as [number, string[], string | null, string?];
    if (code === 1) await audit.linked(id!);
    // The subject's key was not the one expected (another process created or shredded it meanwhile).
    else if (code === 2) await audit.append(received, { wrappedSubjectKey: wrapped });
    const raw = fieldsOf(flat);
    if (!raw.state) throw new RequestNotFound(input.requestId, 'vanished while opening');
    const record = RequestRecord.parse(raw);
    // A subject without a key yet got one from the event above: the next transition reads it.
    if (wrapped !== null) this.readWith.set(record, wrapped);
    return { record, created: code !== 0 };
  }

  /** Every request about one data subject (the index `open` maintains). */
  async idsForSubject(subject: string): Promise<string[]> {
    return this.redis.smembers(this.subjectKey(subject));
  }

  /** Erasure: the records and the subject's index go; the audit trail keeps its HMAC-only events. */
  async eraseSubject(subject: string, requestIds: readonly string[]): Promise<void> {
    for (const id of requestIds) await this.redis.del(this.key(id));
    await this.redis.del(this.subjectKey(subject));
  }

  private subjectKey(subject: string): string {
    return this.keys.subject(subject);
  }

  async get(requestId: string): Promise<RequestRecord | null> {
    const [flat, wrapped = null] = (await GET_SCRIPT.run(this.redis, [this.key(requestId), this.options.audit.subjectKeysHash], [])) as [string[], string | null];
    const raw = fieldsOf(flat);
    if (!raw.state) return null;
    const record = RequestRecord.parse(raw);
    this.readWith.set(record, wrapped);
    this.notesRead.set(record, raw);
    return record;
  }

  /**
   * Records facts without changing state (e.g. the Graph message id before the state moves). Only
   * while the record exists: a stage finishing after an erasure must not recreate it.
   */
  async note(requestId: string, facts: RequestFacts | Record<`note:${string}`, string>): Promise<boolean> {
    const entries = Object.entries(facts).filter((e): e is [string, string] => e[1] !== undefined);
    if (entries.length === 0) return true;
    return (await NOTE_SCRIPT.run(this.redis, [this.key(requestId)], entries.flat())) === 1;
  }

  /**
   * The CRM note already written for `noteKey` (e.g. `note:sent`), so a retried job does not add
   * another. `seen`: the record this job read with `get`, whose hash holds the note ids (no second read).
   */
  async noteId(requestId: string, noteKey: `note:${string}`, seen?: RequestRecord): Promise<string | null> {
    const read = seen?.requestId === requestId ? this.notesRead.get(seen) : undefined;
    if (read) return read[noteKey] ?? null;
    return this.redis.hget(this.key(requestId), noteKey);
  }

  async recordNote(requestId: string, noteKey: `note:${string}`, noteId: string): Promise<void> {
    await NOTE_SCRIPT.run(this.redis, [this.key(requestId)], [noteKey, noteId, 'noteId', noteId]);
  }

  /**
   * Appends an audit event about the request `seen` (the record a stage read with `get`) with the
   * subject's key that read came with: no read of the key first (the trail checks it is still the
   * subject's as it adds the event).
   */
  async appendEvent(event: AuditEventInput & { requestId: string; subject: string }, seen: RequestRecord): Promise<void> {
    const read = seen.requestId === event.requestId && seen.subject === event.subject;
    await this.options.audit.append(event, read ? { wrappedSubjectKey: this.readWith.get(seen) } : {});
  }

  /**
   * What a transition would read (state, flow, subject, the subject's wrapped key), taken from the
   * record the caller read with `get` when that record can move to `to`; otherwise undefined.
   */
  private asRead(requestId: string, to: RequestState, seen: RequestRecord | undefined): (string | null)[] | undefined {
    if (!seen || seen.requestId !== requestId || !this.readWith.has(seen) || !ALLOWED_FROM[to].includes(seen.state)) return undefined;
    return [seen.state, seen.flow, seen.subject, this.readWith.get(seen) ?? null];
  }

  /**
   * The one way a state changes. Returns false when the request is already in `to` (a retried job),
   * throws InvalidTransition when `to` is not reachable from the current state. `seen`: the record as
   * the caller read it with `get`; the first try moves from what it saw without reading again (the
   * script checks the state and the subject's key are still those), anything else reads afresh.
   * `sections`: vault sections (`PseudonymVault.sealMany`) the new state needs, written in the same
   * script, so the state never moves without them and they are never written for a record that is gone.
   */
  async transition(
    requestId: string,
    to: RequestState,
    audit: { actor: string; details?: Record<string, string | number | boolean | null> },
    facts: RequestFacts = {},
    seen?: RequestRecord,
    sections?: SealedSections,
  ): Promise<boolean> {
    const cleanFacts = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
    const key = this.key(requestId);
    const terminal = TERMINAL_STATES.has(to);
    const vaultKey = this.options.vault?.keyOf(requestId);
    if (sections && ((vaultKey !== undefined && sections.key !== vaultKey) || terminal)) throw new Error(`request ${requestId}: vault sections go with a non-terminal state of their own request`);
    const vaultArgs = sections && sections.fields.length > 0 ? ['write', String(sections.ttlMs), ...sections.fields] : terminal && vaultKey !== undefined ? ['erase', ''] : ['', ''];
    let changed = false;
    let known = this.asRead(requestId, to, seen);
    for (let attempt = 0; ; attempt++) {
      const [current = null, flow = null, subject = null, wrapped = null] = known ?? ((await READ_FOR_TRANSITION_SCRIPT.run(this.redis, [key, this.options.audit.subjectKeysHash], [])) as (string | null)[]);
      known = undefined;
      if (current === null) throw new RequestNotFound(requestId, 'has no record (expired or never opened)');
      if (current === to) break;
      if (!ALLOWED_FROM[to].includes(current as RequestState)) throw new InvalidTransition(requestId, current, to);
      const event = await this.options.audit.prepare({
        type: `request.${to}`,
        requestId,
        subject,
        actor: audit.actor,
        outcome: to,
        details: { from: current, flow, ...(audit.details ?? {}) },
      }, subject === null ? {} : { wrappedSubjectKey: wrapped });
      const [code, now, id] = (await TRANSITION_SCRIPT.run(
        this.redis,
        [key, this.options.audit.stream, this.options.audit.subjectKeysHash, sections?.key ?? vaultKey ?? key],
        [to, String(Date.now()), JSON.stringify(cleanFacts), current, ...event.fields, subject ?? '', wrapped ?? '', ...vaultArgs],
      )) as [number, string, string | undefined];
      if (code === -1) throw new RequestNotFound(requestId, 'has no record (expired or never opened)');
      if (code === 0) break;
      // Another worker moved it, or the subject's key went, between our read and the script: look
      // again (bounded; states only advance).
      if (code === -3) {
        if (attempt >= 10) throw new InvalidTransition(requestId, now, to);
        continue;
      }
      await this.options.audit.linked(id!);
      if (terminal) requestOutcomes.inc({ flow: flow ?? 'unknown', state: to });
      changed = true;
      break;
    }
    if (terminal) {
      // A repeat (a retried job) erases again: an entry left behind by a crash between a state change
      // and its erase, or written since by a late stage, must not stay. A change erased in its script.
      if (!changed && vaultKey !== undefined) await this.redis.del(vaultKey);
      await this.options.onTerminal?.(requestId);
    }
    return changed;
  }
}
