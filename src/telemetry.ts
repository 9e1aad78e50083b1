import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces, off unless the standard OTEL_* variables ask for them
 * (OTEL_TRACES_EXPORTER=otlp, or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
 * OTEL_SDK_DISABLED=true wins). The W3C trace context travels from the webhook into each job's data
 * (`trace`, a traceparent) and on to the next stage; connector calls become client spans through
 * the http and undici (fetch) instrumentations. Every span passes an allow-list before export:
 * only ids, codes, methods, status codes and hosts; URL paths lose any segment that is not id-like
 * (Graph paths name mailboxes by address), queries are dropped.
 */

const TRACER = 'draftbridge';

export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim());
  if (exporters.includes('none')) return false;
  return (
    exporters.includes('otlp') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process when requested (or when a test passes its own exporter). Call it
 * before the connectors are loaded so the http instrumentation sees their first request. The SDK,
 * exporter and instrumentations load only then (telemetry-sdk.ts): a process without tracing does
 * not hold them in memory.
 */
export async function startTracing(
  options: { exporter?: SpanExporter; env?: NodeJS.ProcessEnv } = {},
): Promise<Tracing | undefined> {
  const env = options.env ?? process.env;
  if (!options.exporter && !tracingRequested(env)) return undefined;
  const { startTracingSdk } = await import('./telemetry-sdk.ts');
  return startTracingSdk({ ...options, env });
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The active trace as job data (`{ trace: traceparent }`), or nothing when tracing is off. */
export function traceCarrier(): { trace?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent && TRACEPARENT.test(carrier.traceparent) ? { trace: carrier.traceparent } : {};
}

/**
 * Webhooks and jobs are where work enters the process: their span's parent is the carried trace or
 * nothing, never whatever context the socket or the worker loop happened to inherit.
 */
function parentFrom(traceparent: string | undefined): Context {
  return traceparent && TRACEPARENT.test(traceparent)
    ? propagation.extract(ROOT_CONTEXT, { traceparent })
    : ROOT_CONTEXT;
}

/**
 * Runs `fn` in a span continuing `traceparent` (from a job or an incoming request header). A failure
 * is recorded by its error name only: messages may quote upstream answers.
 */
export async function inSpan<T>(
  name: string,
  kind: 'server' | 'consumer' | 'internal',
  traceparent: string | undefined,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(TRACER);
  const spanKind =
    kind === 'server' ? SpanKind.SERVER : kind === 'consumer' ? SpanKind.CONSUMER : SpanKind.INTERNAL;
  return tracer.startActiveSpan(
    name,
    { kind: spanKind, attributes },
    parentFrom(traceparent),
    async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
        span.setAttribute('error.type', (err as Error).name);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
