import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Context, type Span as OtelSpan } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-node';
import { BullMQOtel } from 'bullmq-otel';
import type { TracingConfig } from '../config/index.js';
import type { ActiveTracing, Span, SpanOptions } from './tracing.js';

/** Loaded only when tracing is on (tracing.ts imports this file dynamically): the whole SDK lives behind it. */
const TRACER = 'stripe-checkout-fulfillment';
const DB_SPAN = createContextKey('stripe-checkout-fulfillment.db-span');
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function startSdk(config: TracingConfig, serviceName: string): ActiveTracing {
  const Exporter = config.protocol === 'http/json' ? JsonExporter : ProtobufExporter;
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...config.resourceAttributes, 'service.name': serviceName })),
    sampler: withoutHousekeeping(samplerOf(config)),
    spanProcessors: [new BatchSpanProcessor(new Exporter({ url: config.url, headers: { ...config.headers } }))],
  });
  // The global provider, AsyncLocalStorage context and W3C trace-context propagation (traceparent).
  provider.register();
  const instrumentations = [
    // Fastify's maintained instrumentation: registered on every Fastify instance as it is created (diagnostics
    // channel), so src/api stays unaware of it. Standalone (no http instrumentation) its span is the SERVER span.
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      // One span per request, not one per hook and handler besides (a webhook made three): a third of the
      // api's added CPU on the ingress bench. Probes and scrapes are not traced.
      instrumentHooks: false,
      instrumentHandler: false,
      ignorePaths: ({ url }) => UNTRACED_PATHS.has(url),
      requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`),
    }),
    // undici publishes each request on diagnostics channels: client spans and a `traceparent` on every
    // callback, with no module patching (the callback deliverer uses undici's request).
    new UndiciInstrumentation(),
  ];
  for (const i of instrumentations) {
    i.setTracerProvider(provider);
    i.enable();
  }
  const tracer = trace.getTracer(TRACER);
  const queueTelemetry = new BullMQOtel({ tracerName: 'bullmq' });
  /**
   * The transaction span each connection's statements belong to. postgres.js pipelines a transaction's
   * statements and builds those queued behind a busy socket later, outside the run's async context; the
   * BEGIN, sent in the span's context, names the connection, and the rest follow it until the span ends.
   */
  const byConnection = new Map<number, OtelSpan>();

  const span = <T>(name: string, options: SpanOptions, fn: (s: Span) => Promise<T>): Promise<T> =>
    tracer.startActiveSpan(name, { kind: options.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, ...(options.attributes === undefined ? {} : { attributes: options.attributes }) }, (s) =>
      ended(s, () => fn(s)),
    );

  return {
    queueTelemetry,
    span,
    pastSpan: (name, startedAt, attributes) => tracer.startSpan(name, { startTime: startedAt, attributes }).end(),
    dbTransaction: (name, fn) =>
      tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.operation.name': 'transaction' } }, (s) =>
        context.with(context.active().setValue(DB_SPAN, s), () =>
          ended(s, fn).finally(() => {
            for (const [connection, span] of byConnection) if (span === s) byConnection.delete(connection);
          }),
        ),
      ),
    dbStatement(connection, text) {
      // A statement's text, never its parameters (postgres.js sends those apart), on its transaction's span only.
      const inContext = context.active().getValue(DB_SPAN) as OtelSpan | undefined;
      if (inContext !== undefined && /^\s*begin\b/i.test(text)) byConnection.set(connection, inContext);
      const s = byConnection.get(connection) ?? inContext;
      s?.addEvent('db.statement', { 'db.query.text': text });
    },
    traceId: () => trace.getActiveSpan()?.spanContext().traceId,
    logFields(): Record<string, string> {
      const s = trace.getActiveSpan();
      if (s === undefined) return {};
      const c = s.spanContext();
      return { trace_id: c.traceId, span_id: c.spanId };
    },
    async shutdown() {
      for (const i of instrumentations) i.disable();
      await provider.shutdown();
    },
  };
}

/** Ends the span with `fn`, recording a failure as its status and exception. */
async function ended<T>(s: OtelSpan, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    s.recordException(err instanceof Error ? err : String(err));
    s.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    s.end();
  }
}

/** OTEL_TRACES_SAMPLER as the specification names them. */
function samplerOf(config: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

/**
 * BullMQ's workers trace their own housekeeping as root spans: a `getNextJob` for every job taken (and every
 * idle wait), the stalled-job checks. Each would be a trace of its own, a flood in a trace viewer next to the
 * orders' traces, and work for every process; they are never recorded. Inside a trace (no such span is) the
 * configured sampler decides as usual.
 */
const HOUSEKEEPING = /^(getNextJob|moveStalledJobsToWait|startStalledCheckTimer) /;

function withoutHousekeeping(inner: Sampler): Sampler {
  return {
    shouldSample(ctx: Context, traceId, spanName, spanKind, attributes, links): SamplingResult {
      if (HOUSEKEEPING.test(spanName) && trace.getSpanContext(ctx) === undefined) return { decision: SamplingDecision.NOT_RECORD };
      return inner.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `WithoutBullMQHousekeeping{${inner.toString()}}`,
  };
}
