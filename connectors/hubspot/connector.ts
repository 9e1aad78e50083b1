import { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { NO_CONNECTOR_METRICS, type ConnectorMetrics, type CrmContact, type CrmOwner, type CrmPort, type CrmRecordRef, type RateBudget, type RateBudgetSpec, type RateTicket } from '../../src/ports.ts';
import { z } from 'zod';
import { retryAfterMs, withTimeout } from '../rate-window.ts';

/**
 * CrmPort on the official @hubspot/api-client. Reads only the properties asked for (the policy's
 * minimisation list) and drops anything else HubSpot returns. A 429 is waited out briefly and booked
 * again, twice; then it becomes UpstreamRateLimited (the pipeline pauses the queue). 5xx and network failures are retried briefly and then reported as
 * UpstreamUnavailable, other 4xx as UpstreamRejected. Every call is first booked in the portal's
 * ten-second budget, shared by all draftbridge processes (RateBudget), and waits for its slot.
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
}

const NOTE_TO_CONTACT = 202;
/** Longest a call waits for its booked slot; further out, the queue pauses instead. */
const MAX_BOOKING_WAIT_MS = 30_000;
/** 429s waited out in process (then booked again) before the stage's queue pauses. */
const THROTTLE_RETRIES = 2;
const MAX_IN_PROCESS_RETRY_AFTER_MS = 2_000;
const MEETING_TO_CONTACT = 200;

/** What the SDK's ApiException carries that we use: the HTTP status (as `code`) and the headers. */
const ApiError = z.looseObject({ code: z.number().optional(), headers: z.record(z.string(), z.unknown()).optional() });

export class HubSpotCrm implements CrmPort {
  readonly client: Client;
  private readonly rateBudget: RateBudget | undefined;
  private readonly quota: RateBudgetSpec;
  private readonly serverErrorRetries: number;
  private readonly timeoutMs: number;
  private readonly metrics: ConnectorMetrics;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: HubSpotCrmOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    // SDK retries off: it ignores Retry-After and would hide throttling from the pipeline.
    this.client = new Client({ accessToken: options.accessToken, basePath: options.basePath.replace(/\/+$/, ''), numberOfApiCallRetries: 0 });
    this.rateBudget = options.rateBudget;
    // HubSpot counts a rolling ten seconds; a quarter second past the edge absorbs calls that leave
    // a busy process later than booked.
    this.quota = { name: 'hubspot', rules: [{ windowMs: 10_000, maxCount: Math.max(1, options.requestsPer10s) }], marginMs: 250 };
    this.serverErrorRetries = options.serverErrorRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** HubSpot keeps leads as contacts: both record kinds read the contact object. */
  async getContact(record: CrmRecordRef, properties: readonly string[]): Promise<CrmContact | null> {
    const result = await this.call('getContact', () => this.client.crm.contacts.basicApi.getById(record.id, [...properties]), { notFoundIsNull: true });
    if (!result) return null;
    // Minimisation holds even if the CRM sends more than we asked for.
    const kept: Record<string, string | null> = {};
    for (const p of properties) kept[p] = result.properties?.[p] ?? null;
    return { id: result.id, properties: kept };
  }

  async getOwner(ownerId: string): Promise<CrmOwner | null> {
    if (!/^\d+$/.test(ownerId)) return null;
    const owner = await this.call('getOwner', () => this.client.crm.owners.ownersApi.getById(Number(ownerId)), { notFoundIsNull: true });
    if (!owner?.email) return null;
    return { id: owner.id, email: owner.email, firstName: owner.firstName ?? null, lastName: owner.lastName ?? null };
  }

  async createNote(input: { record: CrmRecordRef; body: string; ownerId?: string; at?: Date }): Promise<{ id: string }> {
    const note = await this.call('createNote', () =>
      this.client.crm.objects.notes.basicApi.create({
        properties: {
          hs_timestamp: (input.at ?? new Date()).toISOString(),
          hs_note_body: input.body,
          ...(input.ownerId ? { hubspot_owner_id: input.ownerId } : {}),
        },
        associations: [{ to: { id: input.record.id }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: NOTE_TO_CONTACT }] }],
      }),
    );
    return { id: note!.id };
  }

  /** A scheduled meeting engagement (meetings object) associated with the contact. */
  async createMeeting(input: { record: CrmRecordRef; title: string; body: string; start: Date; end: Date; ownerId?: string }): Promise<{ id: string }> {
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
        associations: [{ to: { id: input.record.id }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: MEETING_TO_CONTACT }] }],
      }),
    );
    return { id: meeting!.id };
  }

  async updateContact(record: CrmRecordRef, properties: Record<string, string>): Promise<void> {
    await this.call('updateContact', () => this.client.crm.contacts.basicApi.update(record.id, { properties }));
  }

  private async book(operation: string): Promise<RateTicket | undefined> {
    if (!this.rateBudget) return undefined;
    const grant = await this.rateBudget.reserve(this.quota, 1, MAX_BOOKING_WAIT_MS);
    if (!grant.granted) throw new UpstreamRateLimited('hubspot', Math.max(1_000, grant.waitMs - MAX_BOOKING_WAIT_MS), `hubspot ${operation}: portal budget booked ahead`);
    if (grant.waitMs > 0) await this.sleep(grant.waitMs);
    return grant.ticket;
  }

  /** Never fails the call: a booking left at its booked time only makes the next ones a little early. */
  private async restamp(ticket: RateTicket | undefined): Promise<void> {
    if (ticket) await this.rateBudget?.settle(ticket, { restamp: true }).catch(() => undefined);
  }

  private async call<T>(operation: string, fn: () => Promise<T>, options: { notFoundIsNull?: boolean } = {}): Promise<T | null> {
    let throttled = 0;
    for (let attempt = 0; ; ) {
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
          throw new UpstreamRateLimited('hubspot', retryAfterMs(headers, interval), `hubspot ${operation} throttled`);
        }
        if (status !== undefined && status >= 400 && status < 500) {
          this.metrics.upstream('hubspot', 'rejected');
          throw new UpstreamRejected('hubspot', status, `hubspot ${operation} refused with ${status}`);
        }
        this.metrics.upstream('hubspot', 'error');
        if (attempt >= this.serverErrorRetries) {
          throw new UpstreamUnavailable('hubspot', `hubspot ${operation} failed: ${status ?? (err instanceof Error ? err.name : 'unknown')}`, status, { cause: err });
        }
        await this.sleep(200 * 2 ** attempt + Math.random() * 100);
        attempt++;
      }
    }
  }
}

function lowerCase(headers: Record<string, unknown> | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v === undefined || v === null ? undefined : String(v)]));
}
