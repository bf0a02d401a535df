import { z } from 'zod';

/**
 * OpenTelemetry tracing, configured only by the standard `OTEL_*` variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ and
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/). Tracing is on when an OTLP endpoint is set.
 * They are parsed here like every other variable and handed to the SDK explicitly (explicit settings win
 * over the SDK's own reading of the environment), so a malformed one stops the process with the usual
 * one-line error instead of a diag warning. The SDK still reads the variables this file leaves alone
 * (OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_COMPRESSION, OTEL_BSP_*), as its documentation says.
 */
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** `k=v,k2=v2`, values percent-encoded: OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES share it (W3C Baggage's shape). */
const keyValues = z.string().transform((raw, ctx) => {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key === '') {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not key=value (entries are comma-separated key=value pairs)` });
      return z.NEVER;
    }
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of "${key}" is not valid percent-encoding` });
      return z.NEVER;
    }
  }
  return out;
});

const protocol = z.enum(PROTOCOLS, { error: 'http/protobuf or http/json (grpc is not supported)' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' });

export const tracingVariables = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'otlp or none' }).default('otlp'),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValues.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValues.optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, { error: SAMPLERS.join(', ') }).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(255).optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValues.optional(),
};

export type Sampler = (typeof SAMPLERS)[number];

export interface TracingConfig {
  /** Where spans go, complete (`…/v1/traces` added to OTEL_EXPORTER_OTLP_ENDPOINT, as the spec says). */
  readonly url: string;
  readonly protocol: (typeof PROTOCOLS)[number];
  readonly headers: Readonly<Record<string, string>>;
  readonly sampler: Sampler;
  /** The ratio of the `*traceidratio` samplers (default 1). */
  readonly samplerRatio: number;
  /** OTEL_SERVICE_NAME, else `service.name` of OTEL_RESOURCE_ATTRIBUTES; undefined: the role names it. */
  readonly serviceName: string | undefined;
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

/** Undefined (tracing off, nothing of the SDK is loaded) unless an OTLP endpoint is set and tracing is not disabled. */
export function tracingConfig(e: z.infer<z.ZodObject<typeof tracingVariables>>): TracingConfig | undefined {
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : tracesUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT));
  if (url === undefined || e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const resourceAttributes = e.OTEL_RESOURCE_ATTRIBUTES ?? {};
  return {
    url,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    serviceName: e.OTEL_SERVICE_NAME ?? resourceAttributes['service.name'],
    resourceAttributes,
  };
}

/** The base endpoint's signal path: `http://collector:4318` → `http://collector:4318/v1/traces`. */
function tracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
