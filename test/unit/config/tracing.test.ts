import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { defaultServiceName } from '../../../src/observability/tracing.js';

describe('tracing configuration (the standard OTEL_* variables)', () => {
  it('is off unless an OTLP endpoint is set, and off again when the SDK or the exporter is disabled', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'shop', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
  });

  it('adds /v1/traces to the base endpoint, takes the traces endpoint as it is, and defaults as the specification does', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      serviceName: undefined,
      resourceAttributes: {},
    });
    const c = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b.example/otlp/traces' });
    expect(c.tracing?.url).toBe('https://b.example/otlp/traces');
  });

  it('reads protocol, headers, sampler and resource, the traces-specific variable first', () => {
    const t = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-team=shop',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=orders',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=shop-worker,deployment.environment.name=prod',
    }).tracing;
    expect(t).toMatchObject({
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-team': 'orders' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      serviceName: 'shop-worker',
      resourceAttributes: { 'deployment.environment.name': 'prod' },
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'named', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }).tracing?.serviceName).toBe('named');
  });

  it('names each bad variable with the usual one error', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...env });
      } catch (err) {
        return err instanceof ConfigError ? err.message : String(err);
      }
      return 'accepted';
    };
    expect(bad({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: http\/protobuf or http\/json \(grpc is not supported\)/);
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\):\/\/ URL/);
    expect(bad({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not key=value/);
    expect(bad({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/OTEL_TRACES_SAMPLER: always_on, always_off/);
    expect(bad({ OTEL_TRACES_SAMPLER_ARG: '2' })).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
  });

  it('names the service after the role unless told otherwise', () => {
    expect(defaultServiceName('api')).toBe('stripe-fulfillment-api');
    expect(defaultServiceName('worker')).toBe('stripe-fulfillment-worker');
    expect(defaultServiceName('start')).toBe('stripe-fulfillment');
  });
});
