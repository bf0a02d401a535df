import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/JSON export carries it, with the service that sent it. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** Start, in nanoseconds since the epoch (orders siblings in `spanTree`). */
  readonly startNs: bigint;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly events: readonly { readonly name: string; readonly attributes: Readonly<Record<string, string | number | boolean>> }[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

export interface OtlpReceiver {
  /** The base URL to set as OTEL_EXPORTER_OTLP_ENDPOINT (exports arrive at `/v1/traces`). */
  readonly url: string;
  /** Spans decoded from OTLP/JSON exports (`http/json`); protobuf exports are counted, not decoded. */
  readonly spans: ReceivedSpan[];
  /** Export requests received, whatever their encoding. */
  readonly exports: () => number;
  close(): Promise<void>;
}

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface JsonKeyValue {
  key: string;
  value: JsonValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano?: string | number;
  attributes?: JsonKeyValue[];
  events?: { name: string; attributes?: JsonKeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
}
interface JsonExport {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

const valueOf = (v: JsonValue): string | number | boolean => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.doubleValue ?? v.boolValue ?? '';
const attrs = (list: JsonKeyValue[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * An OTLP/HTTP trace receiver on loopback, as a collector would be: it answers every export 200 and keeps
 * the spans of JSON exports (OTLP/JSON: hex ids, enum kinds as numbers). With `decode: false` it drops
 * everything it gets, as the bench's sink.
 */
export async function startOtlpReceiver(opts: { decode?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let exports = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (opts.decode !== false) chunks.push(c);
    });
    req.on('end', () => {
      exports++;
      if (opts.decode !== false && req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonExport;
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                startNs: BigInt(s.startTimeUnixNano ?? 0),
                kind: s.kind,
                attributes: attrs(s.attributes),
                events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
                links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    exports: () => exports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The spans as an indented tree (parent above child), for a reader: `service  name  [kind]`. */
export function spanTree(spans: readonly ReceivedSpan[]): string {
  const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
  const ids = new Set(spans.map((s) => s.spanId));
  const children = (parent: string) =>
    spans.filter((s) => (parent === '' ? !ids.has(s.parentSpanId) : s.parentSpanId === parent)).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const lines: string[] = [];
  const walk = (s: ReceivedSpan, depth: number) => {
    const statements = s.events.filter((e) => e.name === 'db.statement').length;
    lines.push(`${'  '.repeat(depth)}${s.name}  [${KINDS[s.kind] ?? s.kind}, ${s.service}]${statements === 0 ? '' : ` (${statements} statements as events)`}`);
    for (const c of children(s.spanId)) walk(c, depth + 1);
  };
  for (const root of children('')) walk(root, 0);
  return lines.join('\n');
}
