import { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import {
  NO_CONNECTOR_METRICS,
  type ConnectorMetrics,
  type CrmContact,
  type CrmOwner,
  type CrmPort,
  type CrmRecordRef,
  type RateBudget,
  type RateBudgetSpec,
  type RateTicket,
} from '../../src/ports.ts';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { microBatch } from '../micro-batch.ts';
import { retryAfterMs, withTimeout } from '../rate-window.ts';

/**
 * CrmPort on the official @hubspot/api-client. Reads only the properties asked for (the policy's
 * minimisation list) and drops anything else HubSpot returns. A 429 is waited out briefly and booked
 * again, twice; then it becomes UpstreamRateLimited (the pipeline pauses the queue). 5xx and network
 * failures are retried briefly and then reported as UpstreamUnavailable, other 4xx as UpstreamRejected.
 * Every call is first booked in the portal's ten-second budget, shared by all draftbridge processes
 * (RateBudget), and waits for its slot.
 *
 * Calls per request, against HubSpot's 100–190 requests per 10 s:
 * - owners are cached in this process for `ownerCacheTtlMs` (id, e-mail and name only, the fields the
 *   pipeline keeps anyway; unknown owners are not cached). In-process rather than in Redis: it is an
 *   employee's contact data, which then never lands in another store, costs no round trip, and
 *   expires by itself; each process asks HubSpot at most once per owner and TTL.
 * - contact reads, note creates and contact updates that wait at the same time go out as one batch
 *   call (connectors/micro-batch.ts; HubSpot's limit is 100 inputs). A batch of one uses the single
 *   endpoint. Per item: a contact the batch read does not find is null for its caller only; a note or
 *   update HubSpot refuses (207 errors) fails its own caller with UpstreamRejected and no other. Note
 *   inputs carry an `objectWriteTraceId` (HubSpot's opt-in for per-item results) and are matched to
 *   their callers by it; a batch HubSpot refuses as a whole with 400 created nothing, so its items are
 *   sent again one by one and only the bad one fails. 429 and 5xx fail the whole batch, as they would
 *   each single call; the queue retries them.
 */
export interface HubSpotCrmOptions {
  accessToken: string;
  basePath: string;
  requestsPer10s: number;
  /** The portal's shared request budget (Redis); without one calls are not paced (tests of other behaviour). */
  rateBudget?: RateBudget;
  /** Retries for 5xx/network errors inside one call (the queue retries further). */
  serverErrorRetries?: number;
  /** Per request; a hung HubSpot must not hold a job until its lock expires. */
  timeoutMs?: number;
  logger?: Logger;
  /** Where call outcomes are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
  /** Waits between 5xx retries (tests pass one that does not really wait). */
  sleep?: (ms: number) => Promise<void>;
  /** How long an owner stays cached (default 10 minutes; 0 turns the cache off). */
  ownerCacheTtlMs?: number;
  /**
   * How long note creates and contact updates collect into one batch (default 150 ms). They run after
   * the draft is in the mailbox, so the wait delays only the CRM note; contact reads, on the way to
   * the draft, do not wait beyond the call in flight.
   */
  writeBatchWindowMs?: number;
}

/** HubSpot's limit on inputs per batch call. */
const BATCH_LIMIT = 100;

const NOTE_TO_CONTACT = 202;
/** Longest a call waits for its booked slot; further out, the queue pauses instead. */
const MAX_BOOKING_WAIT_MS = 30_000;
/** 429s waited out in process (then booked again) before the stage's queue pauses. */
const THROTTLE_RETRIES = 2;
const MAX_IN_PROCESS_RETRY_AFTER_MS = 2_000;
const MEETING_TO_CONTACT = 200;

/** What the SDK's ApiException carries that we use: the HTTP status (as `code`) and the headers. */
const ApiError = z.looseObject({
  code: z.number().optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
});

export class HubSpotCrm implements CrmPort {
  readonly batchesCalls = true;
  readonly client: Client;
  private readonly rateBudget: RateBudget | undefined;
  private readonly quota: RateBudgetSpec;
  private readonly serverErrorRetries: number;
  private readonly timeoutMs: number;
  private readonly metrics: ConnectorMetrics;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly owners: LRUCache<string, CrmOwner> | null;
  /** One batch reader per property list (a batch read asks one list for all its ids). */
  private readonly readers = new Map<string, (id: string) => Promise<CrmContact | null>>();
  private readonly noteWriter: (input: NoteInput) => Promise<{ id: string }>;
  private readonly contactWriter: (update: ContactUpdate) => Promise<true>;

  constructor(options: HubSpotCrmOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    // SDK retries off: it ignores Retry-After and would hide throttling from the pipeline.
    this.client = new Client({
      accessToken: options.accessToken,
      basePath: options.basePath.replace(/\/+$/, ''),
      numberOfApiCallRetries: 0,
    });
    this.rateBudget = options.rateBudget;
    // HubSpot counts a rolling ten seconds; a quarter second past the edge absorbs calls that leave
    // a busy process later than booked.
    this.quota = {
      name: 'hubspot',
      rules: [{ windowMs: 10_000, maxCount: Math.max(1, options.requestsPer10s) }],
      marginMs: 250,
    };
    this.serverErrorRetries = options.serverErrorRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const writes = { maxBatchSize: BATCH_LIMIT, windowMs: options.writeBatchWindowMs ?? 150 };
    this.noteWriter = microBatch((inputs: readonly NoteInput[]) => this.createNotes(inputs), writes);
    this.contactWriter = microBatch(
      (updates: readonly ContactUpdate[]) => this.updateContacts(updates),
      writes,
    );
    const ttl = options.ownerCacheTtlMs ?? 10 * 60_000;
    this.owners =
      ttl > 0
        ? new LRUCache<string, CrmOwner>({
            max: 1_000,
            ttl,
            // Concurrent lookups of one owner share a single call; undefined (unknown owner) is not cached.
            fetchMethod: async (ownerId) => (await this.fetchOwner(ownerId)) ?? undefined,
          })
        : null;
  }

  /** HubSpot keeps leads as contacts: both record kinds read the contact object. */
  async getContact(record: CrmRecordRef, properties: readonly string[]): Promise<CrmContact | null> {
    const key = properties.join(',');
    let read = this.readers.get(key);
    if (!read)
      this.readers.set(
        key,
        (read = microBatch<string, CrmContact | null>((ids) => this.readContacts(ids, properties), {
          maxBatchSize: BATCH_LIMIT,
        })),
      );
    return read(record.id);
  }

  async getOwner(ownerId: string): Promise<CrmOwner | null> {
    if (!/^\d+$/.test(ownerId)) return null;
    if (!this.owners) return this.fetchOwner(ownerId);
    return (await this.owners.fetch(ownerId)) ?? null;
  }

  async createNote(input: {
    record: CrmRecordRef;
    body: string;
    ownerId?: string;
    at?: Date;
  }): Promise<{ id: string }> {
    return this.noteWriter({
      properties: {
        hs_timestamp: (input.at ?? new Date()).toISOString(),
        hs_note_body: input.body,
        ...(input.ownerId ? { hubspot_owner_id: input.ownerId } : {}),
      },
      associations: [
        {
          to: { id: input.record.id },
          types: [
            {
              associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
              associationTypeId: NOTE_TO_CONTACT,
            },
          ],
        },
      ],
    });
  }

  /** A scheduled meeting engagement (meetings object) associated with the contact. */
  async createMeeting(input: {
    record: CrmRecordRef;
    title: string;
    body: string;
    start: Date;
    end: Date;
    ownerId?: string;
  }): Promise<{ id: string }> {
    const meeting = await this.call('createMeeting', () =>
      this.client.crm.objects.meetings.basicApi.create({
        properties: {
          hs_timestamp: input.start.toISOString(),
          hs_meeting_title: input.title,
          hs_meeting_body: input.body,
          hs_meeting_start_time: input.start.toISOString(),
          hs_meeting_end_time: input.end.toISOString(),
          hs_meeting_outcome: 'SCHEDULED',
          ...(input.ownerId ? { hubspot_owner_id: input.ownerId } : {}),
        },
        associations: [
          {
            to: { id: input.record.id },
            types: [
              {
                associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
                associationTypeId: MEETING_TO_CONTACT,
              },
            ],
          },
        ],
      }),
    );
    return { id: meeting!.id };
  }

  async updateContact(record: CrmRecordRef, properties: Record<string, string>): Promise<void> {
    await this.contactWriter({ id: record.id, properties });
  }

  private async fetchOwner(ownerId: string): Promise<CrmOwner | null> {
    const owner = await this.call(
      'getOwner',
      () => this.client.crm.owners.ownersApi.getById(Number(ownerId)),
      { notFoundIsNull: true },
    );
    if (!owner?.email) return null;
    return {
      id: owner.id,
      email: owner.email,
      firstName: owner.firstName ?? null,
      lastName: owner.lastName ?? null,
    };
  }

  private async readContacts(
    ids: readonly string[],
    properties: readonly string[],
  ): Promise<(CrmContact | null | Error)[]> {
    // Minimisation holds even if the CRM sends more than we asked for.
    const keep = (found: { id: string; properties?: Record<string, string | null> }): CrmContact => {
      const kept: Record<string, string | null> = {};
      for (const p of properties) kept[p] = found.properties?.[p] ?? null;
      return { id: found.id, properties: kept };
    };
    const unique = [...new Set(ids)];
    if (unique.length === 1) {
      const result = await this.call(
        'getContact',
        () => this.client.crm.contacts.basicApi.getById(unique[0]!, [...properties]),
        { notFoundIsNull: true },
      );
      return ids.map(() => (result ? keep(result) : null));
    }
    const answer = await this.call(
      'getContacts',
      () =>
        this.client.crm.contacts.batchApi.read({
          properties: [...properties],
          propertiesWithHistory: [],
          inputs: unique.map((id) => ({ id })),
        }),
      { notFoundIsNull: true },
    );
    // Ids HubSpot did not find are in `errors` (OBJECT_NOT_FOUND) and absent from `results`: null for
    // their callers; any other item error fails its caller only.
    const byId = new Map((answer?.results ?? []).map((r) => [r.id, keep(r)]));
    const refused = itemErrors(answer && 'errors' in answer ? answer.errors : undefined, 'ids');
    return ids.map((id) => {
      const failed = refused.get(id);
      return byId.get(id) ?? (failed instanceof UpstreamRejected && failed.status !== 404 ? failed : null);
    });
  }

  private async createNotes(inputs: readonly NoteInput[]): Promise<({ id: string } | Error)[]> {
    if (inputs.length === 1) return [await this.createOne(inputs[0]!).catch((err: Error) => err)];
    let answer;
    try {
      // Trace ids opt in to per-item results (207); they are how results find their callers.
      answer = await this.call('createNotes', () =>
        this.client.crm.objects.notes.batchApi.create({
          inputs: inputs.map((input, i) => ({ ...input, objectWriteTraceId: String(i) })),
        }),
      );
    } catch (err) {
      // Refused as a whole: nothing was created, so each goes again alone and only the bad one fails.
      if (isWholeBatchRefusal(err))
        return Promise.all(inputs.map((input) => this.createOne(input).catch((e: Error) => e)));
      throw err;
    }
    const results = answer?.results ?? [];
    const created = new Map(results.map((r) => [r.objectWriteTraceId, { id: r.id }]));
    // Should a result come without its trace id, its body and time find it (the body names the request).
    const sameNote = (input: NoteInput) =>
      results.find(
        (r) =>
          r.properties.hs_note_body === input.properties.hs_note_body &&
          r.properties.hs_timestamp !== undefined &&
          Date.parse(r.properties.hs_timestamp ?? '') === Date.parse(input.properties.hs_timestamp!),
      );
    const refused = itemErrors(
      answer && 'errors' in answer ? answer.errors : undefined,
      'objectWriteTraceId',
    );
    return inputs.map((input, i) => {
      const found = created.get(String(i)) ?? refused.get(String(i)) ?? sameNote(input);
      return found ? ('id' in found ? { id: found.id } : found) : missingFromAnswer('createNotes');
    });
  }

  private async createOne(input: NoteInput): Promise<{ id: string }> {
    const note = await this.call('createNote', () => this.client.crm.objects.notes.basicApi.create(input));
    return { id: note!.id };
  }

  private async updateContacts(updates: readonly ContactUpdate[]): Promise<(true | Error)[]> {
    // HubSpot refuses a batch naming one id twice: updates of one contact merge, later values winning
    // (what the same updates one after the other would leave).
    const merged = new Map<string, Record<string, string>>();
    for (const u of updates) merged.set(u.id, { ...merged.get(u.id), ...u.properties });
    const updateOne = (id: string, properties: Record<string, string>) =>
      this.call('updateContact', () => this.client.crm.contacts.basicApi.update(id, { properties })).then(
        () => true as const,
        (err: Error) => err,
      );
    if (merged.size === 1) {
      const [id, properties] = [...merged][0]!;
      const outcome = await updateOne(id, properties);
      return updates.map(() => outcome);
    }
    let answer;
    try {
      answer = await this.call('updateContacts', () =>
        this.client.crm.contacts.batchApi.update({
          inputs: [...merged].map(([id, properties]) => ({ id, properties })),
        }),
      );
    } catch (err) {
      if (!isWholeBatchRefusal(err)) throw err;
      // Updates are idempotent: each goes again alone and only the bad one fails.
      const outcomes = new Map(
        await Promise.all(
          [...merged].map(async ([id, properties]) => [id, await updateOne(id, properties)] as const),
        ),
      );
      return updates.map((u) => outcomes.get(u.id)!);
    }
    const updated = new Set((answer?.results ?? []).map((r) => r.id));
    const refused = itemErrors(answer && 'errors' in answer ? answer.errors : undefined, 'ids');
    return updates.map((u) =>
      updated.has(u.id) ? true : (refused.get(u.id) ?? missingFromAnswer('updateContacts')),
    );
  }

  private async book(operation: string): Promise<RateTicket | undefined> {
    if (!this.rateBudget) return undefined;
    const grant = await this.rateBudget.reserve(this.quota, 1, MAX_BOOKING_WAIT_MS);
    if (!grant.granted)
      throw new UpstreamRateLimited(
        'hubspot',
        Math.max(1_000, grant.waitMs - MAX_BOOKING_WAIT_MS),
        `hubspot ${operation}: portal budget booked ahead`,
      );
    if (grant.waitMs > 0) await this.sleep(grant.waitMs);
    return grant.ticket;
  }

  /** Never fails the call: a booking left at its booked time only makes the next ones a little early. */
  private async restamp(ticket: RateTicket | undefined): Promise<void> {
    if (ticket) await this.rateBudget?.settle(ticket, { restamp: true }).catch(() => undefined);
  }

  private async call<T>(
    operation: string,
    fn: () => Promise<T>,
    options: { notFoundIsNull?: boolean } = {},
  ): Promise<T | null> {
    let throttled = 0;
    for (let attempt = 0; ;) {
      const ticket = await this.book(operation);
      // A busy process sends later than booked: later bookings count from when it really went.
      void this.restamp(ticket);
      try {
        const result = await withTimeout(fn(), this.timeoutMs);
        this.metrics.upstream('hubspot', 'ok');
        return result;
      } catch (err) {
        const parsed = ApiError.safeParse(err);
        const e = parsed.success ? parsed.data : {};
        const status = e.code;
        if (status === 404 && options.notFoundIsNull) {
          this.metrics.upstream('hubspot', 'not_found');
          return null;
        }
        if (status === 429) {
          this.metrics.upstream('hubspot', 'throttled');
          const headers = lowerCase(e.headers);
          // Without Retry-After the ten-second window is what HubSpot counts against.
          const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds'] ?? 10_000);
          // A rolling window frees a slot soon: wait briefly (its Retry-After if short) and book again,
          // so one early call does not pause the whole stage; persistent throttling still does.
          const brief = retryAfterMs(headers, 1_000);
          // A refused call did not count against HubSpot's window: its slot goes back.
          if (ticket) await this.rateBudget?.release(ticket).catch(() => undefined);
          if (throttled < THROTTLE_RETRIES && brief <= MAX_IN_PROCESS_RETRY_AFTER_MS) {
            throttled++;
            await this.sleep(brief);
            continue;
          }
          throw new UpstreamRateLimited(
            'hubspot',
            retryAfterMs(headers, interval),
            `hubspot ${operation} throttled`,
          );
        }
        if (status !== undefined && status >= 400 && status < 500) {
          this.metrics.upstream('hubspot', 'rejected');
          throw new UpstreamRejected('hubspot', status, `hubspot ${operation} refused with ${status}`);
        }
        this.metrics.upstream('hubspot', 'error');
        if (attempt >= this.serverErrorRetries) {
          throw new UpstreamUnavailable(
            'hubspot',
            `hubspot ${operation} failed: ${status ?? (err instanceof Error ? err.name : 'unknown')}`,
            status,
            { cause: err },
          );
        }
        await this.sleep(200 * 2 ** attempt + Math.random() * 100);
        attempt++;
      }
    }
  }
}

type NoteInput = {
  properties: Record<string, string>;
  associations: {
    to: { id: string };
    types: { associationCategory: AssociationSpecAssociationCategoryEnum; associationTypeId: number }[];
  }[];
};
type ContactUpdate = { id: string; properties: Record<string, string> };

/** A 400 for the whole batch: HubSpot validated it and wrote nothing. */
function isWholeBatchRefusal(err: unknown): boolean {
  return err instanceof UpstreamRejected && err.status === 400;
}

/** A 207's `errors`, per item (by the context key that names it): each an UpstreamRejected for that caller. */
function itemErrors(
  errors: readonly { category: string; message: string; context?: Record<string, string[]> }[] | undefined,
  key: 'objectWriteTraceId' | 'ids',
): Map<string, Error> {
  const out = new Map<string, Error>();
  for (const e of errors ?? []) {
    const status = e.category === 'OBJECT_NOT_FOUND' ? 404 : 400;
    for (const item of e.context?.[key] ?? [])
      out.set(item, new UpstreamRejected('hubspot', status, `hubspot batch item refused: ${e.category}`));
  }
  return out;
}

/** HubSpot answered without this item in results or errors: unknown outcome, so retryable. */
function missingFromAnswer(operation: string): Error {
  return new UpstreamUnavailable('hubspot', `hubspot ${operation}: an item is missing from the batch answer`);
}

function lowerCase(headers: Record<string, unknown> | undefined): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([k, v]) => [
      k.toLowerCase(),
      v === undefined || v === null ? undefined : String(v),
    ]),
  );
}
