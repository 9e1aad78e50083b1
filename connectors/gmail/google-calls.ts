import { GaxiosError } from 'gaxios';
import { JWT } from 'google-auth-library';
import type { ServiceAccountKey } from '../../src/gmail-key.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { ConnectorMetrics } from '../../src/ports.ts';
import { retryAfterMs, withTimeout } from '../rate-window.ts';

/**
 * What Gmail and Google Calendar share: the service account acting as the rep (domain-wide
 * delegation, JWT with `sub` = the rep's address, token requests to GOOGLE_TOKEN_URL) and how a
 * Google API answer becomes draftbridge's errors. Both count as provider `gmail` (Google Workspace).
 */

/** google-auth-library posts the JWT-bearer grant here whatever the key file's token_uri says. */
const LIBRARY_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/** One delegated client per mailbox and scope set; token requests go to `tokenUrl`. */
export class DelegatedAuth {
  private readonly clients = new Map<string, JWT>();
  private readonly key: ServiceAccountKey;
  private readonly tokenUrl: string;
  private readonly scopes: string[];

  constructor(key: ServiceAccountKey, tokenUrl: string, scopes: string[]) {
    this.key = key;
    this.tokenUrl = tokenUrl;
    this.scopes = scopes;
  }

  for(mailbox: string): JWT {
    const box = mailbox.toLowerCase();
    let client = this.clients.get(box);
    if (client) return client;
    client = new JWT({
      email: this.key.client_email,
      key: this.key.private_key,
      ...(this.key.private_key_id ? { keyId: this.key.private_key_id } : {}),
      subject: box,
      scopes: this.scopes,
    });
    const tokenUrl = this.tokenUrl;
    if (tokenUrl !== LIBRARY_TOKEN_URL) {
      client.transporter.interceptors.request.add({
        resolved: async (opts) => {
          if (String(opts.url) === LIBRARY_TOKEN_URL) opts.url = new URL(tokenUrl);
          return opts;
        },
      });
    }
    this.clients.set(box, client);
    return client;
  }
}

/**
 * Runs Google API calls with a timeout and maps their failures: 429 and 403 rate-limit answers become
 * UpstreamRateLimited (Retry-After when given, else exponential per mailbox, Google's documented
 * advice), other 4xx UpstreamRejected, the rest UpstreamUnavailable.
 */
export class GoogleCalls {
  /** Consecutive throttles per mailbox, for exponential pauses when Google gives no Retry-After. */
  private readonly throttles = new Map<string, number>();
  private readonly api: string;
  private readonly metrics: ConnectorMetrics;
  private readonly timeoutMs: number;

  constructor(api: string, metrics: ConnectorMetrics, timeoutMs: number) {
    this.api = api;
    this.metrics = metrics;
    this.timeoutMs = timeoutMs;
  }

  async run<T>(
    mailbox: string,
    operation: string,
    fn: () => Promise<T>,
    options: { notFoundIsNull?: boolean; goneIsNull?: boolean } = {},
  ): Promise<T | null> {
    const box = mailbox.toLowerCase();
    try {
      const result = await withTimeout(fn(), this.timeoutMs + 1_000);
      this.throttles.delete(box);
      this.metrics.upstream('gmail', 'ok');
      return result;
    } catch (err) {
      const status = err instanceof GaxiosError ? (err.status ?? err.response?.status) : undefined;
      if (!(err instanceof GaxiosError) || status === undefined) {
        this.metrics.upstream('gmail', 'error');
        throw new UpstreamUnavailable(
          'gmail',
          `${this.api} ${operation} failed: ${(err as Error).name}`,
          undefined,
          {
            cause: err,
          },
        );
      }
      if (status === 404 && options.notFoundIsNull) return null;
      if (status === 410 && options.goneIsNull) return null;
      const reasons = googleReasons(err);
      if (status === 429 || (status === 403 && reasons.some((r) => RATE_LIMIT_REASONS.has(r)))) {
        this.metrics.upstream('gmail', 'throttled');
        const n = (this.throttles.get(box) ?? 0) + 1;
        this.throttles.set(box, n);
        const headers: Record<string, string | undefined> = {};
        err.response?.headers?.forEach((v: string, k: string) => (headers[k.toLowerCase()] = v));
        const waitMs = retryAfterMs(headers, Math.min(64_000, 1_000 * 2 ** (n - 1)));
        throw new UpstreamRateLimited('gmail', waitMs, `${this.api} ${operation} throttled (${status})`);
      }
      if (status >= 400 && status < 500 && status !== 408) {
        this.metrics.upstream('gmail', 'rejected');
        const message = `${this.api} ${operation} refused with ${status} ${reasons.join(',')}`.trim();
        throw new UpstreamRejected('gmail', status, message);
      }
      this.metrics.upstream('gmail', 'error');
      throw new UpstreamUnavailable('gmail', `${this.api} ${operation} failed with ${status}`, status, {
        cause: err,
      });
    }
  }
}

/** The `reason`s of a Google error body ({error: {errors: [{reason}]}}). */
export function googleReasons(err: GaxiosError): string[] {
  const data = err.response?.data as { error?: { errors?: { reason?: string }[] } } | undefined;
  return (data?.error?.errors ?? []).map((e) => e.reason ?? '');
}
