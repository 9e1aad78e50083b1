/**
 * draftbridge's errors, as fastify's are: each has a stable `code` (for logs, audit and tests; the
 * message may change, the code does not) and says whether trying again can help (`retryable`). The
 * stage runner decides retry, queue pause or dead letter from these two alone; connectors report,
 * they never decide.
 */
export const ERROR_CODES = {
  /** The provider throttled us: the whole queue pauses for `retryAfterMs` (no attempt is charged). */
  UPSTREAM_RATE_LIMITED: 'ERR_UPSTREAM_RATE_LIMITED',
  /** Transient: 5xx, timeout, connection failure, malformed response. */
  UPSTREAM_UNAVAILABLE: 'ERR_UPSTREAM_UNAVAILABLE',
  /** Permanent: the provider refused the request (4xx other than 429). */
  UPSTREAM_REJECTED: 'ERR_UPSTREAM_REJECTED',
  /** A call did not settle in time (a hung upstream must not hold a job). */
  TIMEOUT: 'ERR_TIMEOUT',
  /** An outbound LLM request carried a personal value and was refused before it left. */
  LEAK_BLOCKED: 'ERR_LEAK_BLOCKED',
  /** A request record is missing (expired by retention, erased, or never opened). */
  REQUEST_NOT_FOUND: 'ERR_REQUEST_NOT_FOUND',
  /** A state change that the request's current state does not allow. */
  INVALID_TRANSITION: 'ERR_INVALID_TRANSITION',
  /** A vault envelope that cannot be read (tampered, moved, unknown key, unexpected shape). */
  VAULT: 'ERR_VAULT',
  /** Another run of the same stage holds the request (a job BullMQ started twice): retry later. */
  STAGE_BUSY: 'ERR_STAGE_BUSY',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class DraftbridgeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** What the stage runner and the logs see of any thrown value. Unknown errors (a Redis connection
 * drop from ioredis, a bug) are retried: BullMQ's default, and the last attempt dead-letters. */
export function describeError(err: unknown): {
  code: string;
  retryable: boolean;
  name: string;
  message: string;
} {
  if (err instanceof DraftbridgeError)
    return { code: err.code, retryable: err.retryable, name: err.name, message: err.message };
  if (err instanceof Error)
    return { code: 'ERR_UNEXPECTED', retryable: true, name: err.name, message: err.message };
  return { code: 'ERR_UNEXPECTED', retryable: true, name: 'unknown', message: String(err) };
}

/** The message of any thrown value (never assume it is an Error). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type Provider = 'hubspot' | 'salesforce' | 'dynamics' | 'graph' | 'gmail' | 'ews' | 'llm';

/** The provider throttled us; the whole queue for that provider should pause for `retryAfterMs`. */
export class UpstreamRateLimited extends DraftbridgeError {
  readonly provider: Provider;
  readonly retryAfterMs: number;
  constructor(provider: Provider, retryAfterMs: number, message = `${provider} rate limited`) {
    super(ERROR_CODES.UPSTREAM_RATE_LIMITED, message, { retryable: true });
    this.provider = provider;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Transient: 5xx, timeout, connection failure, malformed response. Retry with backoff. */
export class UpstreamUnavailable extends DraftbridgeError {
  readonly provider: Provider;
  readonly status: number | undefined;
  constructor(provider: Provider, message: string, status?: number, options?: { cause?: unknown }) {
    super(ERROR_CODES.UPSTREAM_UNAVAILABLE, message, { retryable: true, cause: options?.cause });
    this.provider = provider;
    this.status = status;
  }
}

/** Permanent: the provider refused the request (4xx other than 429). Retrying will not help. */
export class UpstreamRejected extends DraftbridgeError {
  readonly provider: Provider;
  readonly status: number;
  constructor(provider: Provider, status: number, message: string) {
    super(ERROR_CODES.UPSTREAM_REJECTED, message, { retryable: false });
    this.provider = provider;
    this.status = status;
  }
}

/** A call did not answer within its time limit; the connector reports it as UpstreamUnavailable. */
export class TimeoutError extends DraftbridgeError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(ERROR_CODES.TIMEOUT, `no answer within ${timeoutMs} ms`, { retryable: true });
    this.timeoutMs = timeoutMs;
  }
}

/** Raised before a request leaves the process: an outbound LLM request carried a personal value. */
export class LeakBlocked extends DraftbridgeError {
  readonly findings: string[];
  constructor(findings: string[]) {
    super(
      ERROR_CODES.LEAK_BLOCKED,
      `outbound LLM request refused: ${findings.length} personal value(s) detected (${[...new Set(findings)].join(', ')})`,
      { retryable: false },
    );
    this.findings = findings;
  }
}

/** The request record is gone (retention, erasure) or was never opened: nothing to retry. */
export class RequestNotFound extends DraftbridgeError {
  constructor(requestId: string, detail = 'has no record') {
    super(ERROR_CODES.REQUEST_NOT_FOUND, `request ${requestId} ${detail}`, { retryable: false });
  }
}

/** Names the host of a URL setting without its credentials or path (for details). */
export function hostOf(url: string | undefined): string {
  if (!url) return '(unset)';
  try {
    const u = new URL(url);
    return u.host;
  } catch {
    return '(not a URL)';
  }
}

/** The network reason of a failed call (ECONNREFUSED, ENOTFOUND, a TLS error) when there is one. */
export function networkReason(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(E[A-Z]+|UND_ERR_[A-Z_]+|CERT_|DEPTH_|SELF_SIGNED|UNABLE_TO)/.test(code)
    )
      return code;
  }
  return undefined;
}
