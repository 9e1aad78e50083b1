import { Connection } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api.js';
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
import { requestToken, type SalesforceAuth, type SalesforceToken } from './auth.ts';

/**
 * CrmPort on jsforce 3 (REST API through jsforce's own HTTP layer, so session refresh, error parsing
 * and transport are jsforce's). Reads exactly the asked fields with one SOQL query per record, writes
 * a completed Task linked through WhoId and patches the status fields.
 *
 * Failures: 403 REQUEST_LIMIT_EXCEEDED (the org's daily API limit) and 429 → UpstreamRateLimited;
 * 5xx, timeouts and dropped connections → retried briefly, then UpstreamUnavailable; other 4xx →
 * UpstreamRejected. jsforce's own retries are off: they would hide throttling from the pipeline.
 */
export interface SalesforceCrmOptions {
  /** Where calls are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
  auth: SalesforceAuth;
  /** e.g. `62.0` */
  apiVersion: string;
  serverErrorRetries?: number;
  timeoutMs?: number;
  /** Pause when the org's API limit is hit and Salesforce names no time (it never does for the daily limit). */
  limitPauseMs?: number;
}

/** Salesforce record ids: 15 characters (case-sensitive) or 18 (with the case-safe suffix). */
export const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
/** A field name or one relationship hop (`Account.Name`); nothing else may reach the SOQL text. */
const SOQL_FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const SOBJECT: Record<CrmRecordRef['type'], string> = { contact: 'Contact', lead: 'Lead' };

/** SOQL string literal escaping (backslash and quote); ids are validated before it anyway. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface SalesforceError {
  errorCode?: string;
  name?: string;
}

interface QueryResult {
  totalSize: number;
  done: boolean;
  records: Record<string, unknown>[];
}

export class SalesforceCrm implements CrmPort {
  private readonly metrics: ConnectorMetrics;
  readonly connection: Connection;
  /** Last `Sforce-Limit-Info: api-usage=n/m` seen (for ops; the daily limit is per org). */
  apiUsage: { used: number; limit: number } | undefined;
  private readonly auth: SalesforceAuth;
  private readonly version: string;
  private readonly serverErrorRetries: number;
  private readonly timeoutMs: number;
  private readonly limitPauseMs: number;
  private signingIn: Promise<SalesforceToken> | undefined;
  private tokenFailure: Error | undefined;

  constructor(options: SalesforceCrmOptions) {
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    this.auth = options.auth;
    this.version = options.apiVersion;
    this.serverErrorRetries = options.serverErrorRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.limitPauseMs = options.limitPauseMs ?? 60_000;
    this.connection = new Connection({
      loginUrl: options.auth.loginUrl,
      version: options.apiVersion,
      // Neither flow returns a refresh token: an expired session signs in again.
      refreshFn: (conn, callback) => {
        this.signIn().then(
          (token) => {
            conn.instanceUrl = token.instance_url;
            callback(null, token.access_token, token as never);
          },
          (err: Error) => callback(err),
        );
      },
    });
  }

  async getContact(record: CrmRecordRef, properties: readonly string[]): Promise<CrmContact | null> {
    if (!SALESFORCE_ID.test(record.id)) return null;
    const fields = [...new Set(['Id', ...properties])];
    for (const f of fields)
      if (!SOQL_FIELD.test(f))
        throw new UpstreamRejected('salesforce', 400, `not a Salesforce field name: ${f.slice(0, 40)}`);
    const soql = `SELECT ${fields.join(', ')} FROM ${SOBJECT[record.type]} WHERE Id = ${soqlString(record.id)}`;
    const row = await this.queryOne('getContact', soql);
    if (!row) return null;
    // Minimisation holds even if more came back than we asked for.
    const kept: Record<string, string | null> = {};
    for (const p of properties) kept[p] = asString(valueAt(row, p));
    return { id: String(row.Id), properties: kept };
  }

  async getOwner(ownerId: string): Promise<CrmOwner | null> {
    // Queues (00G) own leads too; only users (005) have a mailbox.
    if (!SALESFORCE_ID.test(ownerId) || !ownerId.startsWith('005')) return null;
    const soql = `SELECT Id, Email, FirstName, LastName FROM User WHERE Id = ${soqlString(ownerId)}`;
    const user = await this.queryOne('getOwner', soql);
    if (!user || typeof user.Email !== 'string' || !user.Email) return null;
    return {
      id: String(user.Id),
      email: user.Email,
      firstName: asString(user.FirstName),
      lastName: asString(user.LastName),
    };
  }

  /** A completed Task on the record's activity timeline (WhoId links contacts and leads alike). */
  async createNote(input: {
    record: CrmRecordRef;
    body: string;
    ownerId?: string;
    at?: Date;
  }): Promise<{ id: string }> {
    if (!SALESFORCE_ID.test(input.record.id))
      throw new UpstreamRejected('salesforce', 400, 'not a Salesforce record id');
    const task = {
      WhoId: input.record.id,
      Subject: 'draftbridge',
      Description: htmlToText(input.body),
      Status: 'Completed',
      Priority: 'Normal',
      ActivityDate: (input.at ?? new Date()).toISOString().slice(0, 10),
      ...(input.ownerId && SALESFORCE_ID.test(input.ownerId) && input.ownerId.startsWith('005')
        ? { OwnerId: input.ownerId }
        : {}),
    };
    const created = await this.rest<{ id: string; success: boolean }>(
      'createNote',
      'POST',
      '/sobjects/Task',
      task,
    );
    return { id: created!.id };
  }

  /** A booked meeting as an Event on the contact's or lead's activity timeline, owned by the rep. */
  async createMeeting(input: {
    record: CrmRecordRef;
    title: string;
    body: string;
    start: Date;
    end: Date;
    ownerId?: string;
  }): Promise<{ id: string }> {
    if (!SALESFORCE_ID.test(input.record.id))
      throw new UpstreamRejected('salesforce', 400, 'not a Salesforce record id');
    const event = {
      WhoId: input.record.id,
      Subject: input.title.slice(0, 255),
      Description: htmlToText(input.body),
      StartDateTime: input.start.toISOString(),
      EndDateTime: input.end.toISOString(),
      ShowAs: 'Busy',
      ...(input.ownerId && SALESFORCE_ID.test(input.ownerId) && input.ownerId.startsWith('005')
        ? { OwnerId: input.ownerId }
        : {}),
    };
    const created = await this.rest<{ id: string; success: boolean }>(
      'createMeeting',
      'POST',
      '/sobjects/Event',
      event,
    );
    return { id: created!.id };
  }

  async updateContact(record: CrmRecordRef, properties: Record<string, string>): Promise<void> {
    if (!SALESFORCE_ID.test(record.id))
      throw new UpstreamRejected('salesforce', 400, 'not a Salesforce record id');
    // Checkbox fields take JSON booleans; the core writes them as "true"/"false".
    const data = Object.fromEntries(
      Object.entries(properties).map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : v]),
    );
    await this.rest('updateContact', 'PATCH', `/sobjects/${SOBJECT[record.type]}/${record.id}`, data);
  }

  private async queryOne(operation: string, soql: string): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.rest<QueryResult>(operation, 'GET', `/query?q=${encodeURIComponent(soql)}`);
      // jsforce hands back unparseable bodies as text: a cut-off answer is transient, like a 5xx.
      if (result && typeof result === 'object' && Array.isArray(result.records)) return result.records[0];
      this.metrics.upstream('salesforce', 'error');
      if (attempt >= this.serverErrorRetries)
        throw new UpstreamUnavailable('salesforce', `salesforce ${operation} failed: malformed query result`);
    }
  }

  /** Signs in once for all concurrent callers; the token endpoint's refusal is remembered for error mapping. */
  private signIn(): Promise<SalesforceToken> {
    this.signingIn ??= requestToken(this.auth)
      .then((token) => {
        this.tokenFailure = undefined;
        return token;
      })
      .catch((err: Error) => {
        this.tokenFailure = err;
        throw err;
      })
      .finally(() => {
        this.signingIn = undefined;
      });
    return this.signingIn;
  }

  /** The signed-in jsforce connection (for the Metadata API in `draftbridge salesforce setup`). */
  async connect(): Promise<Connection> {
    await this.ensureSession();
    return this.connection;
  }

  private async ensureSession(): Promise<void> {
    if (this.connection.accessToken) return;
    const token = await this.signIn();
    this.connection.accessToken = token.access_token;
    this.connection.instanceUrl = token.instance_url;
  }

  private async rest<T>(
    operation: string,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
  ): Promise<T | null> {
    // POST is not idempotent (a second Task): only reads and patches are retried here.
    const retries = method === 'POST' ? 0 : this.serverErrorRetries;
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let headers: Record<string, string> = {};
      try {
        await withTimeout(this.ensureSession(), this.timeoutMs);
        const api = new HttpApi(this.connection, { retry: { maxRetries: 0 } });
        api.on('response', (res: { statusCode: number; headers: Record<string, string> }) => {
          status = res.statusCode;
          headers = res.headers ?? {};
          this.noteLimit(headers['sforce-limit-info']);
        });
        const request = {
          method,
          url: `${this.connection.instanceUrl}/services/data/v${this.version}${path}`,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        };
        const result = (await withTimeout(Promise.resolve(api.request<T>(request)), this.timeoutMs)) as T;
        this.metrics.upstream('salesforce', 'ok');
        return result;
      } catch (err) {
        const e = err as Error & SalesforceError;
        const code = e.errorCode ?? '';
        if (status === 404 && method === 'GET') {
          this.metrics.upstream('salesforce', 'not_found');
          return null;
        }
        if (status === 429 || code === 'REQUEST_LIMIT_EXCEEDED') {
          this.metrics.upstream('salesforce', 'throttled');
          throw new UpstreamRateLimited(
            'salesforce',
            retryAfterMs(headers, this.limitPauseMs),
            `salesforce ${operation} throttled (${code || status})`,
          );
        }
        if (status === 401 && this.tokenFailure) {
          this.metrics.upstream('salesforce', 'rejected');
          throw classifyTokenFailure(this.tokenFailure, operation);
        }
        if (status === undefined && this.tokenFailure && e === this.tokenFailure) {
          this.metrics.upstream('salesforce', 'rejected');
          throw classifyTokenFailure(this.tokenFailure, operation);
        }
        if (status !== undefined && status >= 400 && status < 500) {
          this.metrics.upstream('salesforce', 'rejected');
          // Codes only: Salesforce messages can quote field values.
          throw new UpstreamRejected(
            'salesforce',
            status,
            `salesforce ${operation} refused with ${status} ${code}`.trim(),
          );
        }
        this.metrics.upstream('salesforce', 'error');
        if (attempt >= retries)
          throw new UpstreamUnavailable(
            'salesforce',
            `salesforce ${operation} failed: ${status ?? e.name}`,
            status,
            { cause: err },
          );
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt + Math.random() * 100));
      }
    }
  }

  private noteLimit(header: string | undefined): void {
    const m = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
    if (m) this.apiUsage = { used: Number(m[1]), limit: Number(m[2]) };
  }
}

/** invalid_client/invalid_grant are configuration errors; anything else (network, 5xx) is transient. */
function classifyTokenFailure(err: Error, operation: string): Error {
  if (/^(invalid_|unsupported_|inactive_|ERROR_HTTP_4)/.test(err.name))
    return new UpstreamRejected('salesforce', 401, `salesforce ${operation}: sign-in refused (${err.name})`);
  return new UpstreamUnavailable(
    'salesforce',
    `salesforce ${operation}: sign-in failed (${err.name})`,
    undefined,
    { cause: err },
  );
}

function valueAt(row: Record<string, unknown>, path: string): unknown {
  let v: unknown = row;
  for (const part of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function asString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Task descriptions are plain text: paragraphs and line breaks survive, tags and entities do not. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
