// One business flow with tracing on is one trace across every process: the test is the client
// (it sends a W3C traceparent with the command) and an OTLP/HTTP receiver (every process —
// coordinator and each handler program — exports its spans to it as protobuf, as configured by
// the standard OTEL_* variables). The spans must form one tree under the client's span.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { runLifecycle } from "../testing/lifecycle";
import { type CollectedSpan, startOtlpReceiver } from "../testing/otlp-receiver";
import { waitFor } from "../testing/processes";
import { type RunningRuntime, startRuntime, syntheticConfig } from "../testing/running-runtime";

let receiver: ReturnType<typeof startOtlpReceiver>;
let runtime: RunningRuntime;
let collected: CollectedSpan[] = [];
let lifecycleTrace = "";

beforeAll(async () => {
  receiver = startOtlpReceiver();
  collected = receiver.spans;
  runtime = await startRuntime({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      // The coordinator's own steps at debug, everything else quieter (per-component levels).
      ANGZARR_LOG: "warn",
    },
    config: syntheticConfig({ extra: "logLevels: { aggregate-pipeline: debug }" }),
  });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await receiver?.stop();
});

test("one order-like lifecycle is one trace spanning every process", async () => {
  const traceId = crypto.randomUUID().replace(/-/g, "");
  lifecycleTrace = traceId;
  const clientSpan = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  await runLifecycle(runtime.url, { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });

  const processes = ["angzarr", "agg-src", "agg-ledger", "saga-src-ledger", "pmg-watch", "projector-tally"];
  const mine = () => collected.filter((s) => s.traceId === traceId);
  // One span per step worth a span (a span costs as much as the step's own work): the gateway's
  // server span is the client command's span (the pipeline takes it over), the saga's and PM's
  // commands have spans of their own, each consumer one per book; the store append and the
  // publish are attributes of the command's span (the sequence range stored), not spans.
  const required = [
    "angzarr.CommandGateway/Execute",
    "command ledger",
    "consume saga-src-ledger",
    "consume pmg-watch",
    "consume projector-tally",
  ];
  // Spans are exported as they end, children before parents: wait for the whole tree (every
  // process, every step, every parent), then check it (a timeout falls through to the checks,
  // which say what is missing).
  const complete = () => {
    const all = mine();
    const known = new Set([clientSpan, ...all.map((s) => s.spanId)]);
    return (
      processes.every((p) => all.some((s) => s.service === p)) &&
      required.every((n) => all.some((s) => s.service === "angzarr" && s.name === n)) &&
      all.every((s) => known.has(s.parentId))
    );
  };
  await waitFor("the whole trace", complete, 30_000).catch(() => undefined);
  const spans = mine();
  const names = (service: string) => new Set(spans.filter((s) => s.service === service).map((s) => s.name));

  // The gateway's server span is the child of the client's span.
  const gateway = spans.find((s) => s.name === "angzarr.CommandGateway/Execute");
  expect(gateway?.parentId).toBe(clientSpan);
  // Every span hangs off another span of the trace (or the client's): one tree, no orphans.
  const ids = new Set([clientSpan, ...spans.map((s) => s.spanId)]);
  expect(spans.filter((s) => !ids.has(s.parentId))).toEqual([]);
  // Every component present: the coordinator's steps, each program's server span.
  const coordinator = names("angzarr");
  for (const name of required) expect(coordinator).toContain(name);
  // The client's command: the gateway span carries the angzarr attributes and the range stored.
  expect(gateway?.attributes).toMatchObject({
    "angzarr.domain": "src",
    "angzarr.sequence.first": "0",
    "rpc.method": "angzarr.CommandGateway/Execute",
  });
  expect(gateway?.attributes["angzarr.correlation_id"]).toBeTruthy();
  expect(gateway?.attributes["angzarr.root"]).toMatch(/^[0-9a-f-]{36}$/);
  // The saga's and the PM's commands: a span each, with what they stored.
  const ledger = spans.filter((s) => s.name === "command ledger");
  expect(ledger.length).toBe(2);
  for (const span of ledger) {
    expect(span.attributes["angzarr.domain"]).toBe("ledger");
    expect(span.attributes["angzarr.origin"]).toBeTruthy();
    expect(span.attributes["angzarr.sequence.last"]).toMatch(/^\d+$/);
  }
  // Each consumer's span names its component and the books' range.
  for (const consumer of ["saga-src-ledger", "pmg-watch", "projector-tally"]) {
    const consume = spans.find((s) => s.name === `consume ${consumer}`);
    expect(consume?.attributes["angzarr.component"]).toBe(consumer);
    expect(consume?.attributes["angzarr.sequence.first"]).toMatch(/^\d+$/);
  }
  expect(names("agg-src")).toContain("angzarr.Aggregate/Handle");
  expect(names("agg-ledger")).toContain("angzarr.Aggregate/Handle");
  expect(names("saga-src-ledger").size).toBeGreaterThan(0);
  expect(names("pmg-watch").size).toBeGreaterThan(0);
  expect(names("projector-tally").size).toBeGreaterThan(0);
  // Program spans are children of the coordinator's spans (parent links across processes).
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (const program of processes.slice(1)) {
    for (const span of spans.filter((s) => s.service === program)) {
      expect(byId.get(span.parentId)?.service).toBe("angzarr");
    }
  }
}, 90_000);

test("log lines inside a traced operation carry its trace_id and span_id", () => {
  const stored = runtime
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"event":"command.stored"'))
    .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string; domain: string });
  // The client's command and the saga's and PM's: three, all of the one trace.
  expect(stored.length).toBeGreaterThanOrEqual(3);
  const spanIds = new Set(collected.map((s) => s.spanId));
  for (const line of stored) {
    expect(line.trace_id).toBe(lifecycleTrace);
    expect(spanIds.has(line.span_id ?? "")).toBe(true);
  }
  // Other components stayed at warn: no debug line of theirs.
  expect(runtime.stderr()).not.toContain('"level":"debug","event":"gateway.');
});
