// The span encoder writes the bytes the official OTLP serializer writes for the same spans
// (@opentelemetry/otlp-transformer's ProtobufTraceSerializer, what the official OTLP/proto exporter
// sends): every field, in the same order, for spans with every kind of attribute value, events
// (an exception), links, trace state, remote and local parents, error status, nanosecond times
// past 2^53, two instrumentation scopes and two resources. And the OTLP environment is read as the
// official exporter reads it (endpoint, headers).
import { expect, test } from "bun:test";
import {
  type Context,
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, type ReadableSpan, TracerProvider } from "@opentelemetry/sdk-trace";
import { SpanRequestEncoder } from "./otlp-spans";
import { parseHeaders, tracesUrl } from "./tracing";

function collect(resourceAttributes: Record<string, string | number>): {
  provider: TracerProvider;
  ended: ReadableSpan[];
} {
  const ended: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (span) => {
          ended.push(span);
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  return { provider, ended };
}

const remote = (flags: number, state?: string): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: flags,
    isRemote: true,
    ...(state ? { traceState: new TraceState(state) } : {}),
  });

function spans(): ReadableSpan[] {
  const a = collect({ "service.name": "coordinator", "process.pid": 4242 });
  const b = collect({ "service.name": "program" });
  const tracer = a.provider.getTracer("angzarr");
  const other = a.provider.getTracer("angzarr-other", "1.2.3");
  // Past 2^53 ns: 2033-05-18 and later, with nanoseconds that carry into the high word.
  const start: [number, number] = [2_000_000_000, 999_999_999];
  const end: [number, number] = [2_000_000_001, 123_456_789];

  const server = tracer.startSpan(
    "angzarr.Aggregate/Handle",
    {
      kind: SpanKind.SERVER,
      startTime: start,
      attributes: {
        "rpc.system": "connect_rpc",
        "angzarr.sequence.first": 0,
        "angzarr.sequence.last": 1_234_567_890_123,
        ratio: 0.25,
        ok: true,
        names: ["a", "b"],
        counts: [1, 2, 3],
        flags: [true, false],
        "ünïcode ключ": "värde 値",
        below: -42,
        huge: 2 ** 60,
        "long.ascii": "a".repeat(300),
        "long.unicode": "ключ".repeat(50),
      },
    },
    remote(TraceFlags.SAMPLED, "vendor=opaque,other=x"),
  );
  server.addEvent("decided", { events: 2 }, [2_000_000_000, 500]);
  server.recordException(new Error("the handler refused"));
  server.setStatus({ code: SpanStatusCode.ERROR, message: "the handler refused" });
  server.end(end);

  const local = context.with(trace.setSpan(ROOT_CONTEXT, server), () =>
    tracer.startSpan("command order", { attributes: { "angzarr.domain": "order" } }),
  );
  local.addLink({ context: server.spanContext(), attributes: { "link.kind": "cause" } });
  const unsampled = trace.getSpanContext(remote(TraceFlags.NONE, "k=v"));
  if (unsampled) local.addLink({ context: unsampled });
  local.end();

  const root = other.startSpan("saga orders", { kind: SpanKind.CONSUMER });
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();

  const client = tracer.startSpan("angzarr.Aggregate/Handle", { kind: SpanKind.CLIENT, root: true });
  client.end();

  const program = b.provider.getTracer("angzarr").startSpan("program span", { kind: SpanKind.PRODUCER });
  program.end();
  // Interleaved: the groups must come out in first-appearance order, as the official groups them.
  const [s1, s2, s3, s4] = a.ended;
  return [s1, s3, b.ended[0], s2, s4].filter((s): s is ReadableSpan => s !== undefined);
}

test("the encoded request equals the official serializer's bytes for the same spans", () => {
  const ended = spans();
  expect(ended.length).toBe(5);
  const encoder = new SpanRequestEncoder();
  for (const span of ended) encoder.add(span);
  expect(encoder.count).toBe(5);
  const ours = encoder.take();
  const official = ProtobufTraceSerializer.serializeRequest(ended);
  expect(ours).toBeDefined();
  expect(official?.length ?? 0).toBeGreaterThan(500);
  expect(Buffer.from(ours ?? new Uint8Array()).toString("hex")).toBe(
    Buffer.from(official ?? new Uint8Array()).toString("hex"),
  );
});

test("the encoder starts afresh after take (reused buffers hold nothing of the last batch)", () => {
  const ended = spans();
  const encoder = new SpanRequestEncoder();
  for (const span of ended) encoder.add(span);
  encoder.take();
  expect(encoder.take()).toBeUndefined();
  const last = ended.slice(-2);
  for (const span of last) encoder.add(span);
  expect(Buffer.from(encoder.take() ?? new Uint8Array()).toString("hex")).toBe(
    Buffer.from(ProtobufTraceSerializer.serializeRequest(last) ?? new Uint8Array()).toString("hex"),
  );
});

test("the traces URL and headers come from the OTLP environment as the official exporter reads them", () => {
  expect(tracesUrl({})).toBe("http://localhost:4318/v1/traces");
  expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe("http://c:4318/v1/traces");
  expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })).toBe("http://c:4318/v1/traces");
  expect(
    tracesUrl({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x",
    }),
  ).toBe("http://t/x");
  expect(parseHeaders("api-key=a%20b, tenant = 7,broken,=x")).toEqual({ "api-key": "a b", tenant: "7" });
  expect(parseHeaders(undefined)).toEqual({});
});

test("a batch far larger than the writer's first buffer comes out as the official's bytes", () => {
  const ended = spans();
  const many = Array.from({ length: 300 }, (_, i) => ended[i % ended.length]).filter(
    (s): s is ReadableSpan => s !== undefined,
  );
  const encoder = new SpanRequestEncoder();
  for (const round of [1, 2]) {
    for (const span of many) encoder.add(span);
    const ours = encoder.take() ?? new Uint8Array();
    expect(ours.length, `round ${round}`).toBeGreaterThan(100_000);
    expect(Buffer.from(ours).toString("hex")).toBe(
      Buffer.from(ProtobufTraceSerializer.serializeRequest(many) ?? new Uint8Array()).toString("hex"),
    );
  }
});
