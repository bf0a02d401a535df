import type { Telemetry } from 'bullmq';
import type { TracingConfig } from '../config/index.js';

/**
 * The service's one door to tracing. Off (no OTLP endpoint set) every helper here is a plain call or an
 * `undefined`, and nothing of OpenTelemetry is loaded: the SDK (tracing-sdk.ts) is imported dynamically,
 * only by `startTracing` when the config says tracing is on. Like OpenTelemetry's own tracer provider, the
 * started tracing is process-global: a span opened in src/stripe or src/run must find it without every
 * caller threading a handle through (the provider itself is global in the API whatever we do).
 */
export interface Span {
  setAttribute(key: string, value: string | number | boolean): void;
}

export interface SpanOptions {
  /** `client` for a call to another system (Stripe, a callback), `internal` otherwise. */
  readonly kind?: 'client' | 'internal';
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** What the started SDK provides (tracing-sdk.ts). */
export interface ActiveTracing {
  /** BullMQ's `telemetry` option (bullmq-otel): the enqueue's span and the job's, parented through the job. */
  readonly queueTelemetry: Telemetry;
  span<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>;
  /** A span that began at `startedAt` (epoch ms) and ends now, as a child of the active one. */
  pastSpan(name: string, startedAt: number, attributes: Readonly<Record<string, string | number | boolean>>): void;
  /** The Postgres transaction's span; statements sent meanwhile become its events (`dbStatement`). */
  dbTransaction<T>(name: string, fn: () => Promise<T>): Promise<T>;
  dbStatement(connection: number, text: string): void;
  /** The active trace's id, if any (stored with the session's row for support). */
  traceId(): string | undefined;
  /** pino's mixin: `trace_id` and `span_id` of the span the line is written in. */
  logFields(): Record<string, string>;
  shutdown(): Promise<void>;
}

let active: ActiveTracing | undefined;

/** Starts the SDK when `config` is set (once per process; later calls return the first); undefined when off. */
export async function startTracing(config: TracingConfig | undefined, role: string): Promise<ActiveTracing | undefined> {
  if (config === undefined || active !== undefined) return active;
  const sdk = await import('./tracing-sdk.js');
  active = sdk.startSdk(config, config.serviceName ?? defaultServiceName(role));
  return active;
}

/** `stripe-fulfillment-api`, `stripe-fulfillment-worker`; `npm start` (both roles in one process): `stripe-fulfillment`. */
export function defaultServiceName(role: string): string {
  return role === 'start' ? 'stripe-fulfillment' : `stripe-fulfillment-${role}`;
}

/** Flushes and stops the SDK (a role's last closer); nothing when off. */
export async function stopTracing(): Promise<void> {
  const t = active;
  active = undefined;
  await t?.shutdown();
}

/** Spread into a BullMQ Queue's or Worker's options: `{ telemetry }` when tracing is on, nothing otherwise. */
export function queueTelemetry(): { telemetry?: Telemetry } {
  return active === undefined ? {} : { telemetry: active.queueTelemetry };
}

/** Runs `fn` in a span when tracing is on; a plain call otherwise. */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  return active === undefined ? fn(undefined) : active.span(name, options, fn);
}

/**
 * Runs `wait`; when tracing is on and it took at least `minMs`, records it as a span of its own. A wait that
 * did not wait (the fleet budget's usual case: a permit held already) costs no span.
 */
export async function timedWait<T>(name: string, attributes: Readonly<Record<string, string | number | boolean>>, wait: () => Promise<T>, minMs = 1): Promise<T> {
  const t = active;
  if (t === undefined) return wait();
  const startedAt = Date.now();
  const out = await wait();
  if (Date.now() - startedAt >= minMs) t.pastSpan(name, startedAt, attributes);
  return out;
}

/** Runs a Postgres transaction in its span when tracing is on. */
export function withDbTransaction<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return active === undefined ? fn() : active.dbTransaction(name, fn);
}

/** postgres.js's `debug` hook when tracing is on (each statement's text, never its parameters), else nothing. */
export function dbStatementHook(): { debug?: (connection: number, query: string) => void } {
  const t = active;
  return t === undefined ? {} : { debug: (connection, query) => t.dbStatement(connection, query) };
}

/** The trace id of the span running now, or null (tracing off, or outside any trace). */
export function currentTraceId(): string | null {
  return active?.traceId() ?? null;
}

/** pino's `mixin` option when tracing is on: every line written inside a span carries its ids. */
export function traceLogMixin(): { mixin?: () => Record<string, string> } {
  const t = active;
  return t === undefined ? {} : { mixin: () => t.logFields() };
}
