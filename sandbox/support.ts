import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Shared by the simulators: every request is recorded (for assertions such as "no personal value
 * reached the LLM") and faults are injected on demand for the next N matching requests.
 */
export interface Fault {
  /** HTTP status to answer with (429, 500, 503, ...). */
  status?: number;
  /** How many matching requests get the fault (default 1; unlimited when `probability` is set without it). */
  times?: number;
  /** Each matching request gets the fault with this chance (0..1): sustained random faults for chaos runs. */
  probability?: number;
  retryAfterSeconds?: number;
  retryAfterMs?: number;
  policyName?: string;
  latencyMs?: number;
  /** Process the request, then hold the answer back this long (the change is made, the caller waits). */
  responseDelayMs?: number;
  /** Answer 200 with a truncated JSON body. */
  malformed?: boolean;
  /** Never answer in time (held for timeoutMs, default 60 s). */
  timeout?: boolean;
  timeoutMs?: number;
  /** Only requests whose path matches. */
  path?: RegExp;
  /** Only requests with this HTTP method. */
  method?: string;
  /** Called each time the fault is applied (chaos runs count them). */
  onApplied?: () => void;
  /** Simulator-specific knobs (e.g. finishReason for the LLM). */
  finishReason?: 'length' | 'content_filter';
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export class FaultInjector {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: (Fault & { left: number })[] = [];

  add(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? (fault.probability !== undefined ? Infinity : 1) });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** Call from onRequest; the body is filled in by `recordBody` once parsed. */
  record(request: FastifyRequest): RecordedRequest {
    const entry: RecordedRequest = {
      method: request.method,
      path: request.url.split('?')[0]!,
      query: request.query as Record<string, unknown>,
      headers: { ...request.headers },
      body: undefined,
      at: Date.now(),
    };
    this.requests.push(entry);
    (request as unknown as { recorded: RecordedRequest }).recorded = entry;
    return entry;
  }

  take(request: FastifyRequest): Fault | undefined {
    const path = request.url.split('?')[0]!;
    const fault = this.faults.find(
      (f) =>
        f.left > 0 &&
        (!f.path || f.path.test(path)) &&
        (!f.method || f.method === request.method) &&
        (f.probability === undefined || Math.random() < f.probability),
    );
    if (!fault) return undefined;
    fault.left--;
    fault.onApplied?.();
    if (fault.left === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}

export function recordBody(request: FastifyRequest): void {
  const recorded = (request as unknown as { recorded?: RecordedRequest }).recorded;
  if (recorded) recorded.body = request.body;
}

/**
 * The vendor-independent part of a fault: delay, a hang (answered 504 once `timeoutMs` is over, long
 * after the client gave up) and a truncated 200 body. Returns true when it has answered the request;
 * the status faults are the simulator's own, with its vendor's error body.
 */
export async function applyTransportFault(
  fault: Fault,
  reply: FastifyReply,
  truncatedBody: string,
): Promise<boolean> {
  if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
  if (fault.timeout) {
    await new Promise((r) => setTimeout(r, fault.timeoutMs ?? 60_000));
    await reply.code(504).send();
    return true;
  }
  if (fault.malformed) {
    await reply.code(200).type('application/json').send(truncatedBody);
    return true;
  }
  return false;
}

/**
 * Calls per endpoint ("POST /crm/v3/objects/notes/batch/create"), keyed by the route pattern so ids
 * do not make a key each. `draftbridge bench` reads them to report vendor calls per request.
 */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  /** Counts every request the app receives (an onRequest hook; unmatched paths count under their path). */
  attach(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      const key = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    });
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
