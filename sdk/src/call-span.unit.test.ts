import { expect, test } from "bun:test";
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type IdGenerator,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { CallSpan, startCallSpan } from "./call-span";

/** Ids counted up, so that the SDK's tracer and the CallSpan path draw the same ones in turn. */
class CountingIds implements IdGenerator {
  private next = 1;
  generateTraceId(): string {
    return (this.next++).toString(16).padStart(32, "0");
  }
  generateSpanId(): string {
    return (this.next++).toString(16).padStart(16, "0");
  }
}

class Collect implements SpanProcessor {
  started: Span[] = [];
  ended: ReadableSpan[] = [];
  onStart(span: Span): void {
    this.started.push(span);
  }
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function pair(sampler: Sampler) {
  const resource = resourceFromAttributes({ "service.name": "test" });
  const sdkSide = { ids: new CountingIds(), processor: new Collect() };
  const ownSide = { ids: new CountingIds(), processor: new Collect() };
  const tracer = new TracerProvider({
    resource,
    sampler,
    idGenerator: sdkSide.ids,
    spanProcessors: [sdkSide.processor],
  }).getTracer("angzarr");
  const source = {
    sampler,
    idGenerator: ownSide.ids,
    resource,
    scope: { name: "angzarr" },
    processor: ownSide.processor,
  };
  return {
    sdk: (name: string, kind: SpanKind, attributes: Record<string, unknown>, parent: Context) =>
      tracer.startSpan(name, { kind, attributes: attributes as never }, parent),
    own: (name: string, kind: SpanKind, attributes: Record<string, unknown>, parent: Context) =>
      startCallSpan(source, name, kind, attributes as never, parent),
    sdkSide,
    ownSide,
  };
}

/** What a processor reads of an ended span, without its clock readings. */
function seen(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    context: span.spanContext(),
    parent: span.parentSpanContext,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    status: span.status,
    events: span.events.map(({ name, attributes, droppedAttributesCount }) => ({
      name,
      attributes,
      droppedAttributesCount: droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links,
    droppedLinksCount: span.droppedLinksCount,
    ended: span.ended,
    resource: span.resource,
    scope: span.instrumentationScope.name,
  };
}

test("a CallSpan records what the SDK's span records for the same calls", () => {
  const { sdk, own, sdkSide, ownSide } = pair(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  for (const start of [sdk, own]) {
    const span = start(
      "Svc/Call",
      SpanKind.SERVER,
      { "rpc.system": "connect_rpc", skipped: undefined },
      remote,
    );
    span.setAttribute("n", 3);
    span.setAttribute("n", 4);
    span.setAttributes({ list: ["a", "b"], flag: false, "": "no key", bad: Symbol("x") as never });
    for (let i = 0; i < 130; i++) span.setAttribute(`k${i}`, i);
    span.addEvent("checkpoint", { step: 1, dropped: undefined });
    span.addLink({
      context: { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 },
      attributes: { why: "x" },
    });
    span.updateName("Svc/Renamed");
    span.recordException(new TypeError("boom"));
    span.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
    span.end();
    span.setAttribute("after", "end");
    span.end();
    expect(span.isRecording()).toBe(false);
  }
  expect(ownSide.processor.started.length).toBe(1);
  expect(ownSide.processor.ended.length).toBe(1);
  const [expected] = sdkSide.processor.ended;
  const [actual] = ownSide.processor.ended;
  if (!expected || !actual) throw new Error("a span did not end");
  expect(actual).toBeInstanceOf(CallSpan);
  expect(seen(actual)).toEqual(seen(expected));
  expect(actual.events[1]?.attributes?.["exception.stacktrace"]).toContain("TypeError");
  // Times: epoch nanoseconds near the SDK's, the end never before the start.
  const apart = (a: readonly [number, number], b: readonly [number, number]) =>
    (a[0] - b[0]) * 1e9 + (a[1] - b[1]);
  expect(Math.abs(apart(actual.startTime, expected.startTime))).toBeLessThan(1e9);
  expect(apart(actual.endTime, actual.startTime)).toBeGreaterThanOrEqual(0);
  expect(apart(actual.endTime, actual.startTime)).toBe(apart(actual.duration, [0, 0]));
});

test("a dropped span, a root span and a span in an unsampled trace follow the sampler as the SDK's do", () => {
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
  for (const [sampler, parent] of [
    [new AlwaysOffSampler(), ROOT_CONTEXT],
    [new ParentBasedSampler({ root: new AlwaysOnSampler() }), unsampled],
    [new ParentBasedSampler({ root: new AlwaysOnSampler() }), ROOT_CONTEXT],
  ] as const) {
    const { sdk, own, ownSide } = pair(sampler);
    const expected = sdk("op", SpanKind.INTERNAL, { a: 1 }, parent);
    const actual = own("op", SpanKind.INTERNAL, { a: 1 }, parent);
    expect(actual.isRecording()).toBe(expected.isRecording());
    expect(actual.spanContext()).toEqual(expected.spanContext());
    expect(ownSide.processor.started.length).toBe(expected.isRecording() ? 1 : 0);
  }
});
