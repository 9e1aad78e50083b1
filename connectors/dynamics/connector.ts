import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { DynamicsWebApi, type RequestError } from 'dynamics-web-api';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import {
  NO_CONNECTOR_METRICS,
  type ConnectorMetrics,
  type CrmContact,
  type CrmOwner,
  type CrmPort,
  type CrmRecordRef,
} from '../../src/ports.ts';
import { retryAfterMs, withTimeout } from '../rate-window.ts';
import { CachedTokenCredential } from '../token-cache.ts';
import { htmlToText } from '../salesforce/connector.ts';

/**
 * CrmPort on dynamics-web-api (Dataverse Web API, OData v4) with app-only tokens from
 * @azure/identity (client credentials for the application user; scope `<DATAVERSE_URL>/.default`).
 * Reads only the asked columns (`$select`), writes an annotation (note) bound to the contact or lead
 * and PATCHes the status columns (`If-Match: *`, so never an accidental create).
 *
 * Failures: 429 (service protection limits) → UpstreamRateLimited with Retry-After (the client does
 * not retry 429 itself); 5xx, timeouts and dropped connections → retried briefly, then
 * UpstreamUnavailable; other 4xx → UpstreamRejected.
 */
export interface DataverseCrmOptions {
  /** Where calls are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  /** Tests and other clouds may hand in any TokenCredential. */
  credential?: TokenCredential;
  serverErrorRetries?: number;
  timeoutMs?: number;
}

const MICROSOFT_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoftonline.de',
]);
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const COLLECTION: Record<CrmRecordRef['type'], string> = { contact: 'contacts', lead: 'leads' };
/** Service protection windows are five minutes; without Retry-After wait a good part of one. */
const DEFAULT_PAUSE_MS = 60_000;

export class DataverseCrm implements CrmPort {
  private readonly metrics: ConnectorMetrics;
  readonly api: DynamicsWebApi;
  private readonly serverErrorRetries: number;
  private readonly timeoutMs: number;

  constructor(options: DataverseCrmOptions) {
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    const url = options.url.replace(/\/+$/, '');
    // The token is kept until shortly before expiry: MSAL's lookup would otherwise run on every call.
    const credential = new CachedTokenCredential(
      options.credential ??
        new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
          authorityHost: options.authorityHost,
          // MSAL otherwise asks login.microsoftonline.com for instance metadata, whatever authorityHost says.
          disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.has(new URL(options.authorityHost).hostname),
        }),
    );
    this.serverErrorRetries = options.serverErrorRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.api = new DynamicsWebApi({
      serverUrl: url,
      dataApi: { version: '9.2' },
      // Errors reach us instead of being turned into `false` by the convenience wrappers.
      propagateErrors: true,
      timeout: this.timeoutMs,
      onTokenRefresh: async () => {
        const token = await credential.getToken(`${url}/.default`);
        return token?.token ?? null;
      },
    });
  }

  /**
   * `nav.column` names a column of a related table (`parentcustomerid_account.name`, the contact's
   * company): it is read with `$expand=nav($select=column)`, still only what was asked.
   */
  async getContact(record: CrmRecordRef, properties: readonly string[]): Promise<CrmContact | null> {
    if (!GUID.test(record.id)) return null;
    for (const p of properties)
      if (!COLUMN.test(p))
        throw new UpstreamRejected('dynamics', 400, `not a Dataverse column name: ${p.slice(0, 40)}`);
    const primaryKey = `${record.type}id`;
    const plain = properties.filter((p) => !p.includes('.'));
    const related = new Map<string, string[]>();
    for (const p of properties.filter((q) => q.includes('.'))) {
      const [nav, column] = p.split('.') as [string, string];
      related.set(nav, [...(related.get(nav) ?? []), column]);
    }
    const expand = [...related].map(([property, select]) => ({ property, select }));
    const row = await this.call<Record<string, unknown>>('getContact', true, () =>
      this.api.retrieve({
        collection: COLLECTION[record.type],
        key: record.id,
        select: [...new Set([primaryKey, ...plain])],
        ...(expand.length > 0 ? { expand } : {}),
      }),
    );
    if (!row) return null;
    // Minimisation holds even if more came back than we asked for.
    const kept: Record<string, string | null> = {};
    for (const p of properties) {
      const [head, tail] = p.split('.') as [string, string | undefined];
      const value =
        tail === undefined ? row[head] : (row[head] as Record<string, unknown> | null | undefined)?.[tail];
      kept[p] = asString(value);
    }
    return { id: String(row[primaryKey] ?? record.id), properties: kept };
  }

  async getOwner(ownerId: string): Promise<CrmOwner | null> {
    // A team can own the record too; only a systemuser has a mailbox (a team id answers 404 here).
    if (!GUID.test(ownerId)) return null;
    const user = await this.call<Record<string, unknown>>('getOwner', true, () =>
      this.api.retrieve({
        collection: 'systemusers',
        key: ownerId,
        select: ['systemuserid', 'internalemailaddress', 'firstname', 'lastname'],
      }),
    );
    if (!user || typeof user.internalemailaddress !== 'string' || !user.internalemailaddress) return null;
    return {
      id: String(user.systemuserid ?? ownerId),
      email: user.internalemailaddress,
      firstName: asString(user.firstname),
      lastName: asString(user.lastname),
    };
  }

  /** A note (annotation) on the record's timeline; notetext is plain text. */
  async createNote(input: {
    record: CrmRecordRef;
    body: string;
    ownerId?: string;
    at?: Date;
  }): Promise<{ id: string }> {
    if (!GUID.test(input.record.id)) throw new UpstreamRejected('dynamics', 400, 'not a Dataverse record id');
    const data = {
      subject: 'draftbridge',
      notetext: htmlToText(input.body),
      [`objectid_${input.record.type}@odata.bind`]: `/${COLLECTION[input.record.type]}(${input.record.id})`,
    };
    // Not retried inside the call: a repeated POST would add a second note.
    const id = await this.call<string>('createNote', false, () =>
      this.api.create({ collection: 'annotations', data }),
    );
    return { id: String(id) };
  }

  /**
   * A booked meeting as an appointment regarding the record, with the contact or lead as required
   * attendee (participationtypemask 5) and the rep as organizer (7), deep-inserted in one request.
   * It is Dataverse's record of the meeting: the invitation itself went out from the rep's calendar.
   */
  async createMeeting(input: {
    record: CrmRecordRef;
    title: string;
    body: string;
    start: Date;
    end: Date;
    ownerId?: string;
  }): Promise<{ id: string }> {
    if (!GUID.test(input.record.id)) throw new UpstreamRejected('dynamics', 400, 'not a Dataverse record id');
    const { type, id } = input.record;
    const record = `/${COLLECTION[type]}(${id})`;
    const owner = input.ownerId && GUID.test(input.ownerId) ? `/systemusers(${input.ownerId})` : undefined;
    const data = {
      subject: input.title.slice(0, 200),
      description: htmlToText(input.body),
      scheduledstart: input.start.toISOString(),
      scheduledend: input.end.toISOString(),
      [`regardingobjectid_${type}@odata.bind`]: record,
      ...(owner ? { 'ownerid@odata.bind': owner } : {}),
      appointment_activity_parties: [
        { [`partyid_${type}@odata.bind`]: record, participationtypemask: 5 },
        ...(owner ? [{ 'partyid_systemuser@odata.bind': owner, participationtypemask: 7 }] : []),
      ],
    };
    // Not retried inside the call: a repeated POST would add a second appointment.
    const created = await this.call<string>('createMeeting', false, () =>
      this.api.create({ collection: 'appointments', data }),
    );
    return { id: String(created) };
  }

  async updateContact(record: CrmRecordRef, properties: Record<string, string>): Promise<void> {
    if (!GUID.test(record.id)) throw new UpstreamRejected('dynamics', 400, 'not a Dataverse record id');
    // Two-option (Boolean) columns take JSON booleans; the core writes them as "true"/"false".
    const data = Object.fromEntries(
      Object.entries(properties).map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : v]),
    );
    await this.call('updateContact', true, () =>
      this.api.update({ collection: COLLECTION[record.type], key: record.id, data }),
    );
  }

  private async call<T>(operation: string, retryable: boolean, fn: () => Promise<T>): Promise<T | null> {
    const retries = retryable ? this.serverErrorRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await withTimeout(fn(), this.timeoutMs);
        this.metrics.upstream('dynamics', 'ok');
        return result;
      } catch (err) {
        const e = err as RequestError;
        const status = typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
        if (status === 404 && operation.startsWith('get')) {
          this.metrics.upstream('dynamics', 'not_found');
          return null;
        }
        if (status === 429) {
          this.metrics.upstream('dynamics', 'throttled');
          throw new UpstreamRateLimited(
            'dynamics',
            retryAfterMs(lowerCase(e.headers), DEFAULT_PAUSE_MS),
            `dynamics ${operation} throttled (service protection)`,
          );
        }
        if (status !== undefined && status >= 400 && status < 500) {
          this.metrics.upstream('dynamics', 'rejected');
          // Codes only: Dataverse messages can quote values.
          throw new UpstreamRejected(
            'dynamics',
            status,
            `dynamics ${operation} refused with ${status}${e.code ? ` ${e.code}` : ''}`,
          );
        }
        if (status === undefined && isAuthFailure(err)) {
          this.metrics.upstream('dynamics', 'rejected');
          throw new UpstreamRejected(
            'dynamics',
            401,
            `dynamics ${operation}: token refused (${(err as Error).name})`,
          );
        }
        this.metrics.upstream('dynamics', 'error');
        if (attempt >= retries)
          throw new UpstreamUnavailable(
            'dynamics',
            `dynamics ${operation} failed: ${status ?? (err as Error).name}`,
            status,
            { cause: err },
          );
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt + Math.random() * 100));
      }
    }
  }
}

/** Entra's refusal (wrong secret, tenant or scope): a configuration error, not a retry. */
function isAuthFailure(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    /^Authentication(Required)?Error$/.test(e.name ?? '') &&
    /\b(invalid_(client|request|scope|grant)|unauthorized_client)\b/.test(e.message ?? '')
  );
}

function lowerCase(headers: unknown): Record<string, string | undefined> {
  if (!headers || typeof headers !== 'object') return {};
  return Object.fromEntries(
    Object.entries(headers as Record<string, unknown>).map(([k, v]) => [
      k.toLowerCase(),
      Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v),
    ]),
  );
}

function asString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
