// The span processor every angzarr process exports with (sdk/src/otlp-spans.ts), against a real
// HTTP receiver that decodes the protobuf: a full batch is POSTed at once, a partial one after its
// delay, forceFlush sends the rest; each span arrives once with its trace, parent, name and
// attributes; a 503 is retried and the batch still arrives once; gzip bodies are marked and
// decode; spans beyond the queue are dropped and reported, never sent twice or blocked on.
import { afterAll, expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SamplingDecision, TracerProvider } from "@opentelemetry/sdk-trace";
import { OtlpSpanProcessor, type OtlpSpanProcessorOptions } from "../../sdk/src/otlp-spans";
import { type CollectedSpan, decodeExport } from "../testing/otlp-receiver";

interface Receiver {
  url: string;
  spans: CollectedSpan[];
  posts: { encoding: string | null; spans: number }[];
  /** Statuses to answer before answering 200 (one per request). */
  failures: number[];
}

const servers: { stop(force: boolean): void }[] = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
});

function receiver(): Receiver {
  const state: Receiver = { url: "", spans: [], posts: [], failures: [] };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const failure = state.failures.shift();
      if (failure !== undefined) return new Response("busy", { status: failure });
      let body = new Uint8Array(await request.arrayBuffer());
      const encoding = request.headers.get("content-encoding");
      if (encoding === "gzip") body = Bun.gunzipSync(body);
      const spans = decodeExport(body);
      state.spans.push(...spans);
      state.posts.push({ encoding, spans: spans.length });
      return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  servers.push(server);
  state.url = `http://127.0.0.1:${server.port}/v1/traces`;
  return state;
}

function tracerWith(options: OtlpSpanProcessorOptions) {
  const processor = new OtlpSpanProcessor(options);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "otlp-spans-test" }),
    // Spans named "record only …" are recorded but not sampled (their trace flags say so).
    sampler: {
      shouldSample: (_context, _traceId, name) => ({
        decision: name.startsWith("record only")
          ? SamplingDecision.RECORD
          : SamplingDecision.RECORD_AND_SAMPLED,
      }),
      toString: () => "test",
    },
    spanProcessors: [processor],
  });
  return { tracer: provider.getTracer("angzarr"), processor, provider };
}

const parent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

test("full batches go at once, a partial one after its delay; every span arrives once, as it was", async () => {
  const r = receiver();
  const { tracer, processor } = tracerWith({ url: r.url, maxExportBatchSize: 4, scheduledDelayMillis: 200 });
  for (let i = 0; i < 10; i++) {
    tracer
      .startSpan(
        `span ${i}`,
        { kind: SpanKind.SERVER, attributes: { "angzarr.domain": "order", n: i } },
        parent,
      )
      .end();
  }
  await until(() => r.spans.length >= 8);
  expect(r.posts.map((p) => p.spans)).toEqual([4, 4]);
  await until(() => r.spans.length >= 10);
  expect(r.posts.map((p) => p.spans)).toEqual([4, 4, 2]);
  expect(r.spans.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => `span ${i}`));
  for (const [i, s] of r.spans.entries()) {
    expect(s.service).toBe("otlp-spans-test");
    expect(s.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(s.parentId).toBe("00f067aa0ba902b7");
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.attributes).toEqual({ "angzarr.domain": "order", n: String(i) });
  }
  await processor.shutdown();
});

test("forceFlush sends what is encoded; a 503 is retried and the batch arrives once; gzip decodes", async () => {
  const r = receiver();
  r.failures.push(503);
  const { tracer, processor } = tracerWith({ url: r.url, compression: "gzip", scheduledDelayMillis: 60_000 });
  for (let i = 0; i < 3; i++) tracer.startSpan(`flushed ${i}`, {}, parent).end();
  await processor.forceFlush();
  expect(r.posts).toEqual([{ encoding: "gzip", spans: 3 }]);
  expect(r.spans.map((s) => s.name)).toEqual(["flushed 0", "flushed 1", "flushed 2"]);
  await processor.shutdown();
});

test("spans beyond the queue are dropped and reported; unsampled spans are not sent", async () => {
  const r = receiver();
  const reported: { event: string; fields: Record<string, unknown> }[] = [];
  // The receiver refuses for good (400): the first batch is in flight until it gives up.
  r.failures.push(400);
  const { tracer, processor } = tracerWith({
    url: r.url,
    maxExportBatchSize: 2,
    maxQueueSize: 2,
    onError: (event, fields) => reported.push({ event, fields }),
  });
  for (let i = 0; i < 5; i++) tracer.startSpan(`queued ${i}`, {}, parent).end();
  // Recorded but not sampled: neither queued nor counted as dropped.
  tracer.startSpan("record only", {}, parent).end();
  await processor.forceFlush();
  expect(reported.map((e) => e.event)).toContain("trace_export_failed");
  // The 400 was final: nothing of the first batch arrived, and it was not sent again.
  expect(r.posts).toEqual([]);
  tracer.startSpan("after", {}, parent).end();
  tracer.startSpan("record only, later", {}, parent).end();
  await processor.forceFlush();
  expect(reported.find((e) => e.event === "trace_spans_dropped")?.fields.spans).toBe(3);
  expect(r.spans.map((s) => s.name)).toEqual(["after"]);
  await processor.shutdown();
});
