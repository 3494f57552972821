// An OTLP/HTTP receiver for tests: every process under test exports its spans (and metrics) to
// it as protobuf (opentelemetry/proto/trace/v1 ExportTraceServiceRequest, metrics/v1
// ExportMetricsServiceRequest); it keeps the fields the tests check (service, trace, span,
// parent, name, string attributes; a metric's service and name), read with the protobuf wire
// reader.
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";

export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentId: string;
  name: string;
  /** The span's attributes of string and integer value (integers as their decimal text). */
  attributes: Record<string, string>;
}

export interface CollectedMetric {
  service: string;
  name: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Reads a message's fields, handing each to `on` (which must consume it or return false to skip). */
function fields(bytes: Uint8Array, on: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!on(field, reader)) reader.skip(wire as WireType);
  }
}

/** One KeyValue (key = 1, value = 2 → AnyValue: string_value = 1, int_value = 3). */
function keyValue(bytes: Uint8Array): [string, string] {
  let key = "";
  let value = "";
  fields(bytes, (f, r) => {
    if (f === 1) key = r.string();
    else if (f === 2)
      fields(r.bytes(), (f2, r2) => {
        if (f2 === 1) value = r2.string();
        else if (f2 === 3) value = String(r2.int64());
        else return false;
        return true;
      });
    else return false;
    return true;
  });
  return [key, value];
}

/** The service.name of a Resource (attributes = 1). */
function serviceOf(resource: Uint8Array): string {
  let service = "";
  fields(resource, (f, r) => {
    if (f !== 1) return false;
    const [key, value] = keyValue(r.bytes());
    if (key === "service.name") service = value;
    return true;
  });
  return service;
}

/** The spans of an OTLP ExportTraceServiceRequest (opentelemetry/proto/trace/v1, protobuf). */
export function decodeExport(body: Uint8Array): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  fields(body, (f, r) => {
    if (f !== 1) return false; // resource_spans
    let service = "";
    const spans: Omit<CollectedSpan, "service">[] = [];
    fields(r.bytes(), (f2, r2) => {
      if (f2 === 1) {
        service = serviceOf(r2.bytes());
        return true;
      }
      if (f2 !== 2) return false; // scope_spans
      fields(r2.bytes(), (f3, r3) => {
        if (f3 !== 2) return false; // spans
        const span = {
          traceId: "",
          spanId: "",
          parentId: "",
          name: "",
          attributes: {} as Record<string, string>,
        };
        fields(r3.bytes(), (f4, r4) => {
          if (f4 === 1) span.traceId = hex(r4.bytes());
          else if (f4 === 2) span.spanId = hex(r4.bytes());
          else if (f4 === 4) span.parentId = hex(r4.bytes());
          else if (f4 === 5) span.name = r4.string();
          else if (f4 === 9) {
            const [key, value] = keyValue(r4.bytes());
            span.attributes[key] = value;
          } else return false;
          return true;
        });
        spans.push(span);
        return true;
      });
      return true;
    });
    for (const span of spans) out.push({ service, ...span });
    return true;
  });
  return out;
}

/**
 * The metrics of an OTLP ExportMetricsServiceRequest (opentelemetry/proto/metrics/v1, protobuf):
 * resource_metrics = 1 → ResourceMetrics (resource = 1, scope_metrics = 2) → ScopeMetrics
 * (metrics = 2) → Metric (name = 1).
 */
export function decodeMetricsExport(body: Uint8Array): CollectedMetric[] {
  const out: CollectedMetric[] = [];
  fields(body, (f, r) => {
    if (f !== 1) return false;
    let service = "";
    const names: string[] = [];
    fields(r.bytes(), (f2, r2) => {
      if (f2 === 1) service = serviceOf(r2.bytes());
      else if (f2 === 2)
        fields(r2.bytes(), (f3, r3) => {
          if (f3 !== 2) return false;
          fields(r3.bytes(), (f4, r4) => {
            if (f4 !== 1) return false;
            names.push(r4.string());
            return true;
          });
          return true;
        });
      else return false;
      return true;
    });
    for (const name of names) out.push({ service, name });
    return true;
  });
  return out;
}

/** Listens on a free port; `spans` and `metrics` fill as exports arrive. */
export function startOtlpReceiver(): {
  url: string;
  spans: CollectedSpan[];
  metrics: CollectedMetric[];
  stop(): Promise<void>;
} {
  const spans: CollectedSpan[] = [];
  const metrics: CollectedMetric[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && (path === "/v1/traces" || path === "/v1/metrics")) {
        const body = new Uint8Array(await request.arrayBuffer());
        if (path === "/v1/traces") spans.push(...decodeExport(body));
        else metrics.push(...decodeMetricsExport(body));
        return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, spans, metrics, stop: () => server.stop(true) };
}
