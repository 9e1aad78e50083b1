import { z } from 'zod';
import type { AuditTrail } from '../audit/trail.ts';
import { DraftbridgeError, ERROR_CODES, RequestNotFound } from '../errors.ts';
import { keysFor, type DraftbridgeKeys } from '../keys.ts';
import { requestOutcomes } from '../metrics.ts';
import { RedisScript, type RedisClient } from '../redis.ts';

/**
 * A request's state lives in Redis (ids and codes only, never personal data) with a TTL from its
 * retention class. It changes only through `transition`, which also writes the audit event and, on a
 * terminal state, erases the request's vault entry.
 */
export const RequestState = z.enum(['received', 'fetched', 'drafted', 'awaiting_review', 'sent', 'rejected', 'blocked_sensitive', 'suppressed', 'failed']);
export type RequestState = z.infer<typeof RequestState>;

/** The pipeline is done with the request (the vault is no longer needed). */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set(['awaiting_review', 'sent', 'rejected', 'blocked_sensitive', 'suppressed', 'failed']);

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
  reason: z.string().optional(),
  categories: z.string().optional(),
});
export type RequestRecord = z.infer<typeof RequestRecord>;

export type RequestFacts = Partial<Pick<RequestRecord, 'route' | 'language' | 'messageId' | 'noteId' | 'ownerId' | 'templateFallback' | 'reason' | 'categories'>>;

// Moves state only from an allowed predecessor; a repeat of the same transition is a no-op (retries).
const TRANSITION_SCRIPT = new RedisScript(`
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {-1, ''} end
local info = redis.call('HMGET', KEYS[1], 'flow', 'subject')
if current == ARGV[1] then return {0, current, info[1], info[2]} end
for i = 4, #ARGV do
  if ARGV[i] == current then
    redis.call('HSET', KEYS[1], 'state', ARGV[1], 'updatedAt', ARGV[2])
    local facts = cjson.decode(ARGV[3])
    for k, v in pairs(facts) do redis.call('HSET', KEYS[1], k, v) end
    return {1, current, info[1], info[2]}
  end
end
return {-2, current, info[1], info[2]}
`);

/** The script's answer: code (1 moved, 0 already there, -1 no record, -2 not allowed), from, flow, subject. */
const TransitionReply = z.tuple([z.number(), z.string(), z.string().nullish(), z.string().nullish()]).rest(z.unknown());

// Creates the record with all its fields and indexes it under its subject, unless it exists.
const OPEN_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`);

// Adds fields to an existing record only: a late write (a CRM note id after an erasure) must not
// bring back a record without its state and TTL.
const UPDATE_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`);

export class InvalidTransition extends DraftbridgeError {
  constructor(requestId: string, from: string, to: RequestState) {
    super(ERROR_CODES.INVALID_TRANSITION, `request ${requestId}: cannot move from ${from} to ${to}`, { retryable: false });
  }
}

export interface RequestStoreOptions {
  prefix: string;
  ttlMs: number;
  audit: AuditTrail;
  /** Called when a request reaches a terminal state (erases the vault entry). */
  onTerminal?: (requestId: string) => Promise<unknown>;
}

export class RequestStore {
  private readonly redis: RedisClient;
  private readonly options: RequestStoreOptions;
  private readonly keys: DraftbridgeKeys;

  constructor(redis: RedisClient, options: RequestStoreOptions) {
    this.redis = redis;
    this.options = options;
    this.keys = keysFor(options.prefix);
  }

  private key(requestId: string): string {
    return this.keys.request(requestId);
  }

  /** Creates the record in `received` unless it exists; returns the record either way. */
  async open(input: Omit<RequestRecord, 'state' | 'createdAt' | 'updatedAt'>): Promise<{ record: RequestRecord; created: boolean }> {
    const now = Date.now();
    const key = this.key(input.requestId);
    const fields = { ...input, state: 'received', createdAt: String(now), updatedAt: String(now) };
    // One script: a reader never sees a half-written record. The subject index lets a data-subject
    // request find every request about the person.
    const created = z.number().parse(await OPEN_SCRIPT.run(this.redis, [key, this.subjectKey(input.subject)], [this.options.ttlMs, input.requestId, ...Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]))])) === 1;
    if (created) {
      await this.options.audit.append({ type: 'request.received', requestId: input.requestId, subject: input.subject, actor: 'pipeline', outcome: 'received', details: { flow: input.flow, source: input.source } });
    }
    const record = await this.get(input.requestId);
    if (!record) throw new RequestNotFound(input.requestId, 'vanished while opening');
    return { record, created };
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
    const raw = await this.redis.hgetall(this.key(requestId));
    if (!raw.state) return null;
    return RequestRecord.parse(raw);
  }

  /** Records facts without changing state (e.g. the Graph message id before the state moves). */
  async note(requestId: string, facts: RequestFacts): Promise<void> {
    const fields = Object.entries(facts).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
    if (fields.length > 0) await UPDATE_SCRIPT.run(this.redis, [this.key(requestId)], fields);
  }

  /** The CRM note already written for `noteKey` (e.g. `note:sent`), so a retried job does not add another. */
  async noteId(requestId: string, noteKey: `note:${string}`): Promise<string | null> {
    return this.redis.hget(this.key(requestId), noteKey);
  }

  async recordNote(requestId: string, noteKey: `note:${string}`, noteId: string): Promise<void> {
    await UPDATE_SCRIPT.run(this.redis, [this.key(requestId)], [noteKey, noteId, 'noteId', noteId]);
  }

  /**
   * The one way a state changes. Returns false when the request is already in `to` (a retried job),
   * throws InvalidTransition when `to` is not reachable from the current state.
   */
  async transition(requestId: string, to: RequestState, audit: { actor: string; details?: Record<string, string | number | boolean | null> }, facts: RequestFacts = {}): Promise<boolean> {
    const cleanFacts = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
    // The script also returns flow and subject, so no second round trip is needed for the audit event.
    const [code, from, flow, subject] = TransitionReply.parse(await TRANSITION_SCRIPT.run(this.redis, [this.key(requestId)], [to, String(Date.now()), JSON.stringify(cleanFacts), ...ALLOWED_FROM[to]]));
    if (code === -1) throw new RequestNotFound(requestId, 'has no record (expired or never opened)');
    if (code === -2) throw new InvalidTransition(requestId, from, to);
    const record = { flow, subject };
    if (code === 1) {
      await this.options.audit.append({
        type: `request.${to}`,
        requestId,
        subject: record?.subject ?? null,
        actor: audit.actor,
        outcome: to,
        details: { from, flow: record?.flow ?? null, ...(audit.details ?? {}) },
      });
      if (TERMINAL_STATES.has(to)) requestOutcomes.inc({ flow: record?.flow ?? 'unknown', state: to });
    }
    // Also on a repeat: a crash between the state change and the erase must not leave the vault behind.
    if (TERMINAL_STATES.has(to)) await this.options.onTerminal?.(requestId);
    return code === 1;
  }
}
