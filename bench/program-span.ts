// What one traced call costs a handler program: the counter program (run from source, so that
// `bun --cpu-prof` flags can be passed to it) on a Unix socket, called by 64 concurrent callers,
// each call with a fresh W3C traceparent (as the coordinator sends it); the program's CPU time per
// call (from /proc) with tracing off, and on (every span exported over OTLP/HTTP to the benchmark
// sink in its own process), and on with every caller's trace unsampled (`-00`: the program starts
// no span, the caller's context goes on). Modes run in the order given; "both" is off,on,off,on,
// so that the machine's drift falls on both.
//   bun bench/program-span.ts [calls=20000] [both|MODE,MODE...: off, on, unsampled] [bun flags...]
//   e.g. bun bench/program-span.ts 8000 on --cpu-prof --cpu-prof-dir=/tmp/prof
import { join } from "node:path";
import {
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  Health,
  HealthCheckRequestSchema,
} from "@angzarr/proto";
import { UnixSocketClient, unary } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { aggregateClient } from "../runtime/transport/aggregate-client";
import { benchDir, counterCommand, rootOf } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf } from "./fixtures/proc-cpu";

const CALLERS = 64;
const WARM_UP = 3000;
const calls = Number(process.argv[2] ?? 20000);
const which = process.argv[3] ?? "both";
const programFlags = process.argv.slice(4);

const sink = await startOtlpSink();
const received = sink.received;

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

async function run(traced: boolean, flags: "00" | "01"): Promise<{ cpuMicros: number; perSecond: number }> {
  const socket = join(benchDir("az-ps-"), "c.sock");
  const env: Record<string, string | undefined> = { ...process.env };
  if (traced) env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint;
  else env.OTEL_TRACES_EXPORTER = "none";
  const child = Bun.spawn(
    [
      process.execPath,
      ...programFlags,
      join(import.meta.dir, "fixtures", "counter-agg.ts"),
      "--socket",
      socket,
    ],
    { env, stdout: "ignore", stderr: "inherit" },
  );
  const client = new UnixSocketClient(socket, "agg-counter");
  try {
    for (let i = 0; ; i++) {
      try {
        await unary(client, Health.method.check, create(HealthCheckRequestSchema), { timeoutMs: 500 });
        break;
      } catch (err) {
        if (i > 400) throw new Error(`the counter program did not start: ${(err as Error).message}`);
        await Bun.sleep(20);
      }
    }
    const handler = aggregateClient(client);
    const requests = Array.from({ length: CALLERS }, (_, c) =>
      toBinary(
        ContextualCommandSchema,
        create(ContextualCommandSchema, {
          events: create(EventBookSchema, { cover: Covers.make({ domain: "counter", root: rootOf(c) }) }),
          command: counterCommand("counter", rootOf(c), 5, 0),
        }),
      ),
    );
    const go = async (count: number) => {
      let next = 0;
      await Promise.all(
        requests.map(async (request) => {
          while (next++ < count) {
            await handler.handleEncoded(request, {
              headers: { traceparent: `00-${hex(16)}-${hex(8)}-${flags}` },
            });
          }
        }),
      );
    };
    await go(WARM_UP);
    const before = cpuMsOf(child.pid);
    const started = performance.now();
    await go(calls);
    const ms = performance.now() - started;
    const spent = cpuMsOf(child.pid) - before;
    return { cpuMicros: (spent * 1000) / calls, perSecond: calls / (ms / 1000) };
  } finally {
    client.close();
    child.kill("SIGTERM");
    await child.exited;
  }
}

try {
  const modes = (which === "both" ? "off,on,off,on" : which).split(",");
  for (const mode of modes) {
    const traced = mode !== "off";
    const before = await received();
    const r = await run(traced, mode === "unsampled" ? "00" : "01");
    const spans = (await received()) - before;
    console.log(
      `${mode.padEnd(9)}: program CPU ${r.cpuMicros.toFixed(1)} µs/call, ${r.perSecond.toFixed(0)} calls/s` +
        (traced ? `, ${(spans / (calls + WARM_UP)).toFixed(2)} spans/call at the sink` : ""),
    );
  }
} finally {
  await sink.stop();
}
