import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

/** The OpenTelemetry SDK part of telemetry.ts, loaded only when tracing is on (see `startTracing`). */
export function startTracingSdk(options: { exporter?: SpanExporter; env: NodeJS.ProcessEnv }): {
  shutdown(): Promise<void>;
} {
  const env = options.env;
  const exporter = new IdsAndCodesExporter(options.exporter ?? new OTLPTraceExporter());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'draftbridge' }),
    // A test exporter wants each span at once; production batches.
    spanProcessors: [
      options.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter }),
    ],
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
    else if (KEPT.has(key) || key.startsWith('draftbridge.'))
      out[key] = typeof value === 'string' && !ID_SEGMENT.test(value) ? '{redacted}' : value;
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
      const status = span.status.message
        ? { ...span.status, message: ID_SEGMENT.test(span.status.message) ? span.status.message : 'redacted' }
        : span.status;
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
