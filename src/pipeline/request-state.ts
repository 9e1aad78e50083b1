import { randomUUID } from 'node:crypto';
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
export const RequestState = z.enum([
  'received',
  'fetched',
  'drafted',
  'awaiting_review',
  'sent',
  'rejected',
  'blocked_sensitive',
  'suppressed',
  'failed',
  'booked',
]);
export type RequestState = z.infer<typeof RequestState>;

/** The pipeline is done with the request (the vault is no longer needed). */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set([
  'awaiting_review',
  'sent',
  'rejected',
  'blocked_sensitive',
  'suppressed',
  'failed',
  'booked',
]);

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

export type RequestFacts = Partial<
  Pick<
    RequestRecord,
    | 'route'
    | 'language'
    | 'messageId'
    | 'noteId'
    | 'ownerId'
    | 'templateFallback'
    | 'draftPath'
    | 'reason'
    | 'categories'
    | 'slots'
    | 'slotZone'
    | 'bookedSlot'
    | 'eventId'
    | 'recipientRef'
    | 'slotWishes'
    | 'slotsUnmet'
  >
>;

// The scripts (KEYS and ARGV are described at the top of each file). Their keys all start with the
// hash-tagged prefix, so each runs on one node of a cluster.
const TRANSITION_SCRIPT = RedisScript.fromFile(new URL('./lua/transition.lua', import.meta.url));
const OPEN_SCRIPT = RedisScript.fromFile(new URL('./lua/open-request.lua', import.meta.url));
const GET_SCRIPT = RedisScript.fromFile(new URL('./lua/get-request.lua', import.meta.url));
const READ_FOR_TRANSITION_SCRIPT = RedisScript.fromFile(
  new URL('./lua/read-for-transition.lua', import.meta.url),
);
const NOTE_SCRIPT = RedisScript.fromFile(new URL('./lua/note.lua', import.meta.url));
const RELEASE_LEASE_SCRIPT = RedisScript.fromFile(new URL('./lua/release-lease.lua', import.meta.url));

/** What transition.lua answers. */
const Transition = { MOVED: 1, SAME: 0, GONE: -1, CONFLICT: -3 } as const;
/** What open-request.lua answers. */
const Open = { EXISTED: 0, CREATED_WITH_EVENT: 1, CREATED_WITHOUT_EVENT: 2 } as const;

/** A state change: who made it, what it records, and what the caller already knows. */
export interface StateChange {
  actor: string;
  /** Audit event details (ids and codes only). */
  details?: Record<string, string | number | boolean | null>;
  /** Facts recorded on the request with the state. */
  facts?: RequestFacts;
  /** The record as the caller read it with `get`: the first try moves from it without reading again. */
  seen?: RequestRecord;
  /** Vault sections (`PseudonymVault.sealMany`) the new state needs, written in the same script. */
  sections?: SealedSections;
}

/** A hash as a script returns HGETALL: field, value, field, value, … */
function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

/** Another run of the stage holds the request: retryable (the later run finds what the first did). */
export class StageBusy extends DraftbridgeError {
  constructor(requestId: string, stage: string) {
    super(ERROR_CODES.STAGE_BUSY, `request ${requestId}: another ${stage} run holds it`, { retryable: true });
  }
}

export class InvalidTransition extends DraftbridgeError {
  constructor(requestId: string, from: string, to: RequestState) {
    super(ERROR_CODES.INVALID_TRANSITION, `request ${requestId}: cannot move from ${from} to ${to}`, {
      retryable: false,
    });
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
  async open(
    input: Omit<RequestRecord, 'state' | 'createdAt' | 'updatedAt'>,
  ): Promise<{ record: RequestRecord; created: boolean }> {
    const now = Date.now();
    const key = this.key(input.requestId);
    const fields = { ...input, state: 'received', createdAt: String(now), updatedAt: String(now) };
    const { audit } = this.options;
    const received = {
      type: 'request.received',
      requestId: input.requestId,
      subject: input.subject,
      actor: 'pipeline',
      outcome: 'received',
      details: { flow: input.flow, source: input.source },
    };
    // The event is sealed before the script knows whether it creates the record (a redelivery
    // wastes that), so that the record and its event are written together, in one round trip.
    const expected = audit.expectedSubjectKey(input.subject);
    const event = await audit.prepare(received, { wrappedSubjectKey: expected.wrapped });
    // One script: a reader never sees a half-written record. The subject index lets a data-subject
    // request find every request about the person.
    const [code, flat, wrapped = null, id] = (await OPEN_SCRIPT.run(
      this.redis,
      [key, this.subjectKey(input.subject), audit.subjectKeysHash, audit.stream],
      [
        this.options.ttlMs,
        input.requestId,
        input.subject,
        expected.wrapped,
        expected.fresh ? '1' : '0',
        ...event.fields,
        ...Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)])),
      ],
    )) as [number, string[], string | null, string?];
    if (code === Open.CREATED_WITH_EVENT) await audit.linked(id!);
    // The subject's key was not the one expected (another process created or shredded it meanwhile).
    else if (code === Open.CREATED_WITHOUT_EVENT)
      await audit.append(received, { wrappedSubjectKey: wrapped });
    const raw = fieldsOf(flat);
    if (!raw.state) throw new RequestNotFound(input.requestId, 'vanished while opening');
    const record = RequestRecord.parse(raw);
    // A subject without a key yet got one from the event above: the next transition reads it.
    if (wrapped !== null) this.readWith.set(record, wrapped);
    return { record, created: code !== Open.EXISTED };
  }

  /**
   * Holds the request for one stage's side effect (SET NX with a TTL), so two runs of the same job
   * (BullMQ can start a job again while it still runs, e.g. after a long queue pause) cannot both
   * create a draft or send a mail. Returns the release, or null when another run holds it.
   */
  async lease(requestId: string, stage: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const key = `${this.key(requestId)}:lease:${stage}`;
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
    return async () => {
      await RELEASE_LEASE_SCRIPT.run(this.redis, [key], [token]);
    };
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
    const [flat, wrapped = null] = (await GET_SCRIPT.run(
      this.redis,
      [this.key(requestId), this.options.audit.subjectKeysHash],
      [],
    )) as [string[], string | null];
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
  async appendEvent(
    event: AuditEventInput & { requestId: string; subject: string },
    seen: RequestRecord,
  ): Promise<void> {
    const read = seen.requestId === event.requestId && seen.subject === event.subject;
    await this.options.audit.append(event, read ? { wrappedSubjectKey: this.readWith.get(seen) } : {});
  }

  /**
   * What a transition would read (state, flow, subject, the subject's wrapped key), taken from the
   * record the caller read with `get` when that record can move to `to`; otherwise undefined.
   */
  private asRead(
    requestId: string,
    to: RequestState,
    seen: RequestRecord | undefined,
  ): (string | null)[] | undefined {
    if (
      !seen ||
      seen.requestId !== requestId ||
      !this.readWith.has(seen) ||
      !ALLOWED_FROM[to].includes(seen.state)
    )
      return undefined;
    return [seen.state, seen.flow, seen.subject, this.readWith.get(seen) ?? null];
  }

  /**
   * The one way a state changes. Returns false when the request is already in `to` (a retried job),
   * throws InvalidTransition when `to` is not reachable from the current state. With `seen`, the first
   * try moves from what the caller saw without reading again (the script checks the state and the
   * subject's key are still those); anything else reads afresh. `sections` are written in the same
   * script, so the state never moves without them and they are never written for a record that is gone.
   */
  async transition(requestId: string, to: RequestState, change: StateChange): Promise<boolean> {
    const { facts = {}, seen, sections } = change;
    const cleanFacts = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
    const key = this.key(requestId);
    const terminal = TERMINAL_STATES.has(to);
    const vaultKey = this.options.vault?.keyOf(requestId);
    if (sections && ((vaultKey !== undefined && sections.key !== vaultKey) || terminal))
      throw new Error(
        `request ${requestId}: vault sections go with a non-terminal state of their own request`,
      );
    const vaultArgs =
      sections && sections.fields.length > 0
        ? ['write', String(sections.ttlMs), ...sections.fields]
        : terminal && vaultKey !== undefined
          ? ['erase', '']
          : ['', ''];
    let changed = false;
    let known = this.asRead(requestId, to, seen);
    for (let attempt = 0; ; attempt++) {
      const [current = null, flow = null, subject = null, wrapped = null] =
        known ??
        ((await READ_FOR_TRANSITION_SCRIPT.run(
          this.redis,
          [key, this.options.audit.subjectKeysHash],
          [],
        )) as (string | null)[]);
      known = undefined;
      if (current === null) throw new RequestNotFound(requestId, 'has no record (expired or never opened)');
      if (current === to) break;
      if (!ALLOWED_FROM[to].includes(current as RequestState))
        throw new InvalidTransition(requestId, current, to);
      const event = await this.options.audit.prepare(
        {
          type: `request.${to}`,
          requestId,
          subject,
          actor: change.actor,
          outcome: to,
          details: { from: current, flow, ...(change.details ?? {}) },
        },
        subject === null ? {} : { wrappedSubjectKey: wrapped },
      );
      const [code, now, id] = (await TRANSITION_SCRIPT.run(
        this.redis,
        [
          key,
          this.options.audit.stream,
          this.options.audit.subjectKeysHash,
          sections?.key ?? vaultKey ?? key,
        ],
        [
          to,
          String(Date.now()),
          JSON.stringify(cleanFacts),
          current,
          ...event.fields,
          subject ?? '',
          wrapped ?? '',
          ...vaultArgs,
        ],
      )) as [number, string, string | undefined];
      if (code === Transition.GONE)
        throw new RequestNotFound(requestId, 'has no record (expired or never opened)');
      if (code === Transition.SAME) break;
      // Another worker moved it, or the subject's key went, between our read and the script: look
      // again (bounded; states only advance).
      if (code === Transition.CONFLICT) {
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
