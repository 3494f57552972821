// What each piece of a traced command costs, in a tight loop in one process (CPU µs per iteration,
// process.cpuUsage, after a warm-up): the span helpers of sdk/src/tracing.ts and
// runtime/observability/trace-links.ts as the coordinator and a handler program call them per
// command, with the real OtlpSpanProcessor exporting to the benchmark sink (its own process).
//   bun bench/span-cost.ts [iterations=50000] [AWAITS=20]
// "awaits" is the chain of awaited promises each simulated command runs inside its span (the
// coordinator's pipeline awaits many times per command): with a context active, every one of them
// carries the context along (AsyncLocalStorage), which the "context only" case isolates.
import { Covers, EventBookSchema, EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { context, propagation, trace } from "@opentelemetry/api";
import { rememberBookTrace } from "../runtime/observability/trace-links";
import {
  activeTraceparent,
  annotateSpan,
  serverSpan,
  startTracing,
  stopTracing,
  tracedOrServed,
  traceHeaders,
} from "../sdk/src/tracing";
import { startOtlpSink } from "./fixtures/otlp-sink-process";

const iterations = Number(process.argv[2] ?? 50_000);
const awaits = Number(process.argv[3] ?? 20);
const CHAINS = 64;

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function chain(n: number): Promise<number> {
  let x = 0;
  for (let i = 0; i < n; i++) x += await Promise.resolve(i);
  return x;
}

/** Runs `body` `count` times over CHAINS concurrent chains; CPU µs per run. */
async function measure(count: number, body: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const before = cpu();
  await Promise.all(
    Array.from({ length: CHAINS }, async () => {
      while (next < count) await body(next++);
    }),
  );
  return (cpu() - before) / count;
}

function measureSync(count: number, body: (i: number) => unknown): number {
  const before = cpu();
  for (let i = 0; i < count; i++) body(i);
  return (cpu() - before) / count;
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
const parents = Array.from({ length: 1024 }, () => `00-${hex(16)}-${hex(8)}-01`);
const root = new Uint8Array(16).fill(7);
const attributes = () => ({
  "angzarr.domain": "counter",
  "angzarr.correlation_id": "c-1",
  "angzarr.root": "07070707-0707-0707-0707-070707070707",
});

/** What the coordinator does per gateway command (without its real work). */
const coordinatorCommand = (i: number) =>
  serverSpan(
    "angzarr.CommandGateway/Execute",
    {},
    { "rpc.system": "connect_rpc", "rpc.method": "x" },
    () =>
      tracedOrServed("command counter", attributes, async () => {
        await chain(awaits >> 1);
        traceHeaders(); // the handler call
        await chain(awaits >> 1);
        activeTraceparent(); // the append (stored with the page)
        annotateSpan({ "angzarr.sequence.first": i, "angzarr.sequence.last": i });
        return 0;
      }),
    true, // the gateway's server span, which the command takes over (one span per command)
  );
/** What a handler program does per call. */
const programCall = (i: number) =>
  serverSpan(
    "angzarr.AggregateService/Handle",
    { traceparent: parents[i & 1023] },
    { "rpc.system": "connect_rpc", "rpc.method": "x" },
    () => chain(awaits >> 2),
  );

let page = 0;

const sink = await startOtlpSink();
const cases: [string, (on: boolean) => Promise<number>][] = [
  ["awaits only (no span)", () => measure(iterations, () => chain(awaits))],
  [
    "context.with around the awaits (no span)",
    async (on) => {
      if (!on) return NaN;
      const key = Symbol("k");
      const ctx = context.active().setValue(key, 1);
      return measure(iterations, () => context.with(ctx, () => chain(awaits)));
    },
  ],
  ["coordinator command (serverSpan taken over + helpers)", () => measure(iterations, coordinatorCommand)],
  ["program call (serverSpan from traceparent)", () => measure(iterations, programCall)],
  [
    "serverSpan (root) + awaits, nothing else",
    () =>
      measure(iterations, () =>
        serverSpan("x", {}, { "rpc.system": "connect_rpc", "rpc.method": "x" }, () => chain(awaits)),
      ),
  ],
  [
    "serverSpan + tracedOrServed + awaits",
    () =>
      measure(iterations, () =>
        serverSpan(
          "x",
          {},
          { "rpc.system": "connect_rpc", "rpc.method": "x" },
          () => tracedOrServed("command counter", attributes, () => chain(awaits)),
          true,
        ),
      ),
  ],
  [
    "activeTraceparent + traceHeaders inside a span, sync",
    async (on) => {
      if (!on) return NaN;
      let spent = 0;
      await serverSpan("x", {}, {}, async () => {
        const before = cpu();
        for (let k = 0; k < iterations; k++) {
          activeTraceparent();
          traceHeaders();
        }
        spent = (cpu() - before) / iterations;
      });
      return spent;
    },
  ],
  [
    // Every call a new page (as a consumer reads one per command): the links fill up and evict.
    "rememberBookTrace of a new page (a consumer's read), sync",
    async (on) => {
      if (!on) return NaN;
      const book = create(EventBookSchema, {
        cover: Covers.make({ domain: "counter", root }),
        pages: [EventPages.numbered(0, create(AnySchema))],
      });
      const first = book.pages[0] as (typeof book.pages)[number];
      return measureSync(iterations, () => {
        first.sequence = { case: "num", value: page++ };
        rememberBookTrace(book, parents[page & 1023] as string);
      });
    },
  ],
  [
    "startSpan + end (root, no context switch), sync",
    async (on) => {
      if (!on) return NaN;
      const tracer = trace.getTracer("angzarr");
      return measureSync(iterations, () => tracer.startSpan("x", { attributes: attributes() }).end());
    },
  ],
  [
    "propagation.extract(traceparent), sync",
    async (on) => {
      if (!on) return NaN;
      return measureSync(iterations, (i) =>
        propagation.extract(context.active(), { traceparent: parents[i & 1023] }),
      );
    },
  ],
];

try {
  const results = new Map<string, number[]>();
  for (const on of [false, true]) {
    if (on) {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint;
      // A tight loop ends spans faster than a sink takes them: queue them all (none dropped
      // unencoded, which would flatter the figures).
      process.env.OTEL_BSP_MAX_QUEUE_SIZE = String(4 * iterations);
      await startTracing("span-cost");
    }
    for (const [name, run] of cases) {
      await run(on); // warm-up
      const value = await run(on);
      results.set(name, [...(results.get(name) ?? []), value]);
    }
    if (on) await stopTracing();
  }
  console.log(`awaits per simulated command: ${awaits}; iterations ${iterations}; ${CHAINS} chains`);
  for (const [name, [off, on]] of results) {
    console.log(
      `${name.padEnd(56)} off ${Number.isNaN(off) ? "   -" : off?.toFixed(2).padStart(6)} µs   on ${on?.toFixed(2).padStart(6)} µs`,
    );
  }
  console.log(`spans at the sink: ${await sink.received()}`);
} finally {
  await sink.stop();
}
