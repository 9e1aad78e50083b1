/**
 * Failures the connectors report to the pipeline. The pipeline decides from the class alone
 * whether to slow the queue, retry, or end the request; connectors never decide that themselves.
 */
export type Provider = 'hubspot' | 'salesforce' | 'dynamics' | 'graph' | 'gmail' | 'llm';

/** The provider throttled us; the whole queue for that provider should pause for `retryAfterMs`. */
export class UpstreamRateLimited extends Error {
  readonly provider: Provider;
  readonly retryAfterMs: number;
  constructor(provider: Provider, retryAfterMs: number, message = `${provider} rate limited`) {
    super(message);
    this.name = 'UpstreamRateLimited';
    this.provider = provider;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Transient: 5xx, timeout, connection failure, malformed response. Retry with backoff. */
export class UpstreamUnavailable extends Error {
  readonly provider: Provider;
  readonly status: number | undefined;
  constructor(provider: Provider, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamUnavailable';
    this.provider = provider;
    this.status = status;
  }
}

/** Permanent: the provider refused the request (4xx other than 429). Retrying will not help. */
export class UpstreamRejected extends Error {
  readonly provider: Provider;
  readonly status: number;
  constructor(provider: Provider, status: number, message: string) {
    super(message);
    this.name = 'UpstreamRejected';
    this.provider = provider;
    this.status = status;
  }
}

/** Raised before a request leaves the process: an outbound LLM request carried a personal value. */
export class LeakBlocked extends Error {
  readonly findings: string[];
  constructor(findings: string[]) {
    super(`outbound LLM request refused: ${findings.length} personal value(s) detected (${[...new Set(findings)].join(', ')})`);
    this.name = 'LeakBlocked';
    this.findings = findings;
  }
}
