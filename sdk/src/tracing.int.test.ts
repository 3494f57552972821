// The SDK's tracing helpers with tracing on (exporting to a local endpoint that drops every batch):
// inside an unsampled trace no span is started (its context, and so its "not sampled" decision,
// goes on to what is called), inside a sampled one a child span is; attributes given as a function
// are built only for a span that is started; the traceparent written for the active span is the
// W3C form of its context. A handler program's log lines inside a span carry its trace_id and
// span_id; lines outside one (or before tracing started) carry none; lines below ANGZARR_LOG's
// level are not written. A step served by a claimable server span takes that span over (once per
// call). A caller's traceparent is read as the W3C form says (the official propagator's reading).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { context, createContextKey, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { configureLog, log } from "./log";
import {
  activeTraceparent,
  serverSpan,
  startTracing,
  stopTracing,
  traced,
  tracedOrServed,
  traceHeaders,
  withRemoteParent,
} from "./tracing";

const saved = { ...process.env };
const KEYS = ["OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "ANGZARR_LOG"];
const lines: Record<string, unknown>[] = [];
const sink = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status: 200 }) });
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

beforeAll(async () => {
  process.env.ANGZARR_LOG = "info";
  configureLog({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  log.debug("below.level", {});
  log.info("before.tracing", {});
  process.env.OTEL_TRACES_EXPORTER = "otlp";
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.port}`;
  delete process.env.OTEL_TRACES_SAMPLER; // parentbased_always_on
  expect(await startTracing("tracing-test")).toBe(true);
});

afterAll(async () => {
  await stopTracing();
  sink.stop(true);
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  configureLog({ write: (line) => process.stderr.write(line) });
});

test("inside an unsampled trace no span is started and the decision is passed on", async () => {
  let built = 0;
  const inner = await withRemoteParent(`00-${TRACE}-${PARENT}-00`, () =>
    traced(
      "step",
      () => {
        built++;
        return { "angzarr.domain": "order" };
      },
      async () => ({
        traceparent: activeTraceparent(),
        headers: traceHeaders(),
        recording: trace.getActiveSpan()?.isRecording(),
      }),
    ),
  );
  expect(built).toBe(0);
  expect(inner.traceparent).toBe(`00-${TRACE}-${PARENT}-00`);
  expect(inner.headers).toEqual({ traceparent: `00-${TRACE}-${PARENT}-00` });
  expect(inner.recording).toBe(false);
  // A server span for a caller that did not sample: none, the caller's context goes on.
  const served = await serverSpan("svc/Method", { traceparent: `00-${TRACE}-${PARENT}-00` }, {}, async () =>
    activeTraceparent(),
  );
  expect(served).toBe(`00-${TRACE}-${PARENT}-00`);
});

test("inside a sampled trace a child span is started, its attributes built once", async () => {
  let built = 0;
  const inner = await withRemoteParent(`00-${TRACE}-${PARENT}-01`, () =>
    traced(
      "step",
      () => {
        built++;
        return { "angzarr.domain": "order" };
      },
      async () => activeTraceparent(),
    ),
  );
  expect(built).toBe(1);
  expect(inner).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  expect(inner).not.toContain(PARENT);
  // Outside any trace a server span starts a new, sampled trace.
  const root = await serverSpan("svc/Method", {}, {}, async () => activeTraceparent());
  expect(root).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  expect(root).not.toContain(TRACE);
});

test("lines inside a span carry its trace_id and span_id; lines outside carry none", async () => {
  let ids: { traceId: string; spanId: string } | undefined;
  await traced("handle", {}, async () => {
    ids = trace.getActiveSpan()?.spanContext();
    await Bun.sleep(1);
    log.info("order.priced", { total: 12 });
  });
  log.warn("after.span", {});
  expect(lines.some((l) => l.event === "below.level")).toBe(false);
  const inside = lines.find((l) => l.event === "order.priced");
  expect(inside).toMatchObject({ level: "info", total: 12, trace_id: ids?.traceId, span_id: ids?.spanId });
  expect(inside?.trace_id).toMatch(/^[0-9a-f]{32}$/);
  for (const event of ["before.tracing", "after.span"]) {
    const line = lines.find((l) => l.event === event);
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty("trace_id");
    expect(line).not.toHaveProperty("span_id");
  }
});

test("a step takes over the claimable server span of the call it serves, once; other steps get spans", async () => {
  const ids = () => trace.getActiveSpan()?.spanContext().spanId;
  const seen = await serverSpan(
    "svc/Execute",
    { traceparent: `00-${TRACE}-${PARENT}-01` },
    {},
    async () => {
      const server = ids();
      // The first step runs in the server span itself, which takes its attributes.
      const first = await tracedOrServed(
        "command a",
        () => ({ "angzarr.domain": "a" }),
        async () => ({
          id: ids(),
          domain: (trace.getActiveSpan() as unknown as { attributes: Record<string, unknown> }).attributes[
            "angzarr.domain"
          ],
          // A step inside it (a cascade) finds the server span taken: a child span of its own.
          nested: await tracedOrServed(
            "command b",
            () => ({}),
            async () => ids(),
          ),
        }),
      );
      // A second step of the same call, after the first: a child span too.
      const second = await tracedOrServed(
        "command c",
        () => ({}),
        async () => ids(),
      );
      return { server, first, second };
    },
    true,
  );
  expect(seen.first.id).toBe(seen.server);
  expect(seen.first.domain).toBe("a");
  expect(seen.first.nested).not.toBe(seen.server);
  expect(seen.second).not.toBe(seen.server);
  // Outside a served call: a span of its own, as `traced`.
  const alone = await tracedOrServed(
    "command d",
    () => ({}),
    async () => activeTraceparent(),
  );
  expect(alone).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test("a server span's attributes given as a function are built once, on the span", async () => {
  let built = 0;
  const seen = await serverSpan(
    "svc/Handle",
    { traceparent: `00-${TRACE}-${PARENT}-01` },
    () => {
      built++;
      return { "rpc.method": "svc/Handle" };
    },
    async () => (trace.getActiveSpan() as unknown as { attributes: Record<string, unknown> }).attributes,
  );
  expect(built).toBe(1);
  expect(seen["rpc.method"]).toBe("svc/Handle");
});

test("a server span not marked claimable is never taken over", async () => {
  const ids = () => trace.getActiveSpan()?.spanContext().spanId;
  const seen = await serverSpan("svc/Handle", { traceparent: `00-${TRACE}-${PARENT}-01` }, {}, async () => ({
    server: ids(),
    step: await tracedOrServed(
      "command a",
      () => ({}),
      async () => ids(),
    ),
  }));
  expect(seen.step).not.toBe(seen.server);
});

test("a caller's traceparent is read as the W3C form says: valid ones continue, others start anew", async () => {
  const inside = (headers: Record<string, string>) =>
    serverSpan("svc/Handle", headers, {}, async () => {
      const span = trace.getActiveSpan() as unknown as {
        spanContext(): { traceId: string; traceFlags: number };
        parentSpanContext?: { spanId: string; isRemote?: boolean };
      };
      return {
        traceId: span.spanContext().traceId,
        parent: span.parentSpanContext?.spanId,
        remote: span.parentSpanContext?.isRemote,
      };
    });
  const continued = { traceId: TRACE, parent: PARENT, remote: true };
  expect(await inside({ traceparent: `00-${TRACE}-${PARENT}-01` })).toEqual(continued);
  expect(await inside({ traceparent: `00-${TRACE}-${PARENT}-03` })).toEqual(continued);
  // With a tracestate, and a later version with more fields: read by the official propagator.
  expect(await inside({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "v=1" })).toEqual(continued);
  expect(await inside({ traceparent: `01-${TRACE}-${PARENT}-01-later` })).toEqual(continued);
  for (const invalid of [
    `00-${TRACE.toUpperCase()}-${PARENT}-01`,
    `00-${"0".repeat(32)}-${PARENT}-01`,
    `00-${TRACE}-${"0".repeat(16)}-01`,
    `ff-${TRACE}-${PARENT}-01`,
    `00-${TRACE}-${PARENT}-01-extra`,
    `00-${TRACE}-${PARENT}-0g`,
    `00-${TRACE}_${PARENT}-01`,
    `00-${TRACE.slice(1)}-${PARENT}0-01`,
  ]) {
    const seen = await inside({ traceparent: invalid });
    expect(seen.traceId, invalid).not.toBe(TRACE);
    expect(seen.parent, invalid).toBeUndefined();
  }
});

test("inside a span the active context keeps, adds and removes values as any context does", async () => {
  const key = createContextKey("tracing-test.value");
  const other = createContextKey("tracing-test.other");
  await context.with(ROOT_CONTEXT.setValue(other, "outer"), () =>
    serverSpan("Svc/Call", { traceparent: `00-${TRACE}-${PARENT}-01` }, {}, async () => {
      const active = context.active();
      const span = trace.getSpan(active);
      expect(span?.spanContext().traceId).toBe(TRACE);
      expect(active.getValue(other)).toBe("outer");
      const added = active.setValue(key, 1);
      expect(added.getValue(key)).toBe(1);
      expect(trace.getSpan(added)).toBe(span);
      expect(active.getValue(key)).toBeUndefined();
      const removed = added.deleteValue(other);
      expect(removed.getValue(other)).toBeUndefined();
      expect(removed.getValue(key)).toBe(1);
      expect(trace.getSpan(trace.deleteSpan(active))).toBeUndefined();
      expect(trace.getSpan(active)).toBe(span);
    }),
  );
});
