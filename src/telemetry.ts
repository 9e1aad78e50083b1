import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';

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
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process when requested (or when a test passes its own exporter). Call it
 * before the connectors are loaded so the http instrumentation sees their first request.
 */
export function startTracing(options: { exporter?: SpanExporter; env?: NodeJS.ProcessEnv } = {}): Tracing | undefined {
  const env = options.env ?? process.env;
  if (!options.exporter && !tracingRequested(env)) return undefined;
  const exporter = new IdsAndCodesExporter(options.exporter ?? new OTLPTraceExporter());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'draftbridge' }),
    // A test exporter wants each span at once; production batches.
    spanProcessors: [options.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Incoming requests get our own webhook span (a server span would carry client addresses).
      new HttpInstrumentation({ ignoreIncomingRequestHook: () => true, requireParentforOutgoingSpans: true }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
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
  return traceparent && TRACEPARENT.test(traceparent) ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * Runs `fn` in a span continuing `traceparent` (from a job or an incoming request header). A failure
 * is recorded by its error name only: messages may quote upstream answers.
 */
export async function inSpan<T>(name: string, kind: 'server' | 'consumer' | 'internal', traceparent: string | undefined, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER);
  const spanKind = kind === 'server' ? SpanKind.SERVER : kind === 'consumer' ? SpanKind.CONSUMER : SpanKind.INTERNAL;
  return tracer.startActiveSpan(name, { kind: spanKind, attributes }, parentFrom(traceparent), async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
      span.setAttribute('error.type', (err as Error).name);
      throw err;
    } finally {
      span.end();
    }
  });
}

// ---- export filter: ids and codes only ----

const KEPT = new Set([
  'http.request.method',
  'http.method',
  'http.response.status_code',
  'http.status_code',
  'server.address',
  'server.port',
  'net.peer.name',
  'net.peer.port',
  'url.scheme',
  'error.type',
  'messaging.system',
  'messaging.destination.name',
  'messaging.operation.type',
]);
const URL_KEYS = new Set(['url.full', 'http.url', 'url.path', 'http.target']);
const ID_SEGMENT = /^[A-Za-z0-9._~:-]{1,80}$/;

/** Origin and path with every segment that is not id-like replaced, query and fragment dropped. */
export function redactUrl(value: string): string {
  const [withoutQuery = ''] = value.split(/[?#]/);
  const match = /^([a-z]+:\/\/[^/]+)?(.*)$/i.exec(withoutQuery)!;
  const path = (match[2] ?? '')
    .split('/')
    .map((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return '{redacted}';
      }
      return segment === '' || (ID_SEGMENT.test(decoded) && !decoded.includes('@')) ? segment : '{redacted}';
    })
    .join('/');
  return `${match[1] ?? ''}${path}`;
}

export function allowedAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (URL_KEYS.has(key) && typeof value === 'string') out[key] = redactUrl(value);
    else if (KEPT.has(key) || key.startsWith('draftbridge.')) out[key] = typeof value === 'string' && !ID_SEGMENT.test(value) ? '{redacted}' : value;
  }
  return out;
}

/** Wraps the real exporter; spans leave the process only with allowed attributes and no events. */
export class IdsAndCodesExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  constructor(inner: SpanExporter) {
    this.inner = inner;
  }

  export(spans: ReadableSpan[], resultCallback: Parameters<SpanExporter['export']>[1]): void {
    const filtered = spans.map((span) => {
      const status = span.status.message ? { ...span.status, message: ID_SEGMENT.test(span.status.message) ? span.status.message : 'redacted' } : span.status;
      // The span's own methods (spanContext()) stay reachable through the prototype.
      return Object.create(span, {
        attributes: { value: allowedAttributes(span.attributes), enumerable: true },
        events: { value: [], enumerable: true },
        status: { value: status, enumerable: true },
      }) as ReadableSpan;
    });
    this.inner.export(filtered, resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
