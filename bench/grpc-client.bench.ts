// Foreign-handler transport: the coordinator's gRPC client (Connect-ES's HTTP/2 session manager
// and gRPC protocol) against the hand-written node:http2 client it replaced, both calling the
// same child process (the synthetic echo aggregate served by Connect-ES's gRPC server) over a
// Unix socket: sequential latency and calls/s with 64 calls in flight, small command.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Aggregate,
  AnyPayload,
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  Health,
  HealthCheckRequestSchema,
  Uuid,
} from "@angzarr/proto";
import { pathOf, type RpcClient, unary } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { GrpcClient } from "../runtime/transport/grpc-client";
import { HandwrittenGrpcClient } from "./fixtures/handwritten-grpc-client";
import { type BenchReporter, percentile } from "./harness";

const SEQUENTIAL = 3_000;
const CONCURRENT = 20_000;
const IN_FLIGHT = 64;

export default async function (r: BenchReporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-"));
  const socket = join(dir, "grpc.sock");
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "..", "runtime/testing/fixtures/grpc-echo-agg.ts"),
      "--socket",
      socket,
    ],
    { stdout: "ignore", stderr: "inherit" },
  );
  const path = pathOf(Aggregate.method.handle);
  const cover = Covers.make({ domain: "foreign", root: Uuid.randomBytes(), correlationId: "bench" });
  const body = toBinary(
    ContextualCommandSchema,
    create(ContextualCommandSchema, {
      events: create(EventBookSchema, { cover }),
      command: create(CommandBookSchema, {
        cover,
        pages: [
          create(CommandPageSchema, {
            sequence: 0,
            command: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "x".repeat(16) })),
          }),
        ],
      }),
    }),
  );
  try {
    const clients: [string, RpcClient & { close(): void }][] = [
      ["Connect-ES", new GrpcClient({ socketPath: socket }, "agg-foreign")],
      ["hand-written", new HandwrittenGrpcClient({ socketPath: socket }, "agg-foreign")],
    ];
    for (const [label, client] of clients) {
      for (let i = 0; i < 200; i++) {
        try {
          await unary(client, Health.method.check, create(HealthCheckRequestSchema, {}));
          break;
        } catch {
          await Bun.sleep(25);
        }
      }
      // No timeout on these calls: the hand-written client leaks a listener per timed call.
      for (let i = 0; i < 500; i++) await client.raw(path, body); // warm-up
      r.progress(`${label}: ${SEQUENTIAL} sequential calls`);
      const samples: number[] = [];
      for (let i = 0; i < SEQUENTIAL; i++) {
        const t = performance.now();
        await client.raw(path, body);
        samples.push((performance.now() - t) * 1000);
      }
      r.record({
        name: `gRPC handler call p50, Unix socket (${label})`,
        value: percentile(samples, 50),
        unit: "µs",
        budget: null,
        better: "lower",
      });
      r.progress(`${label}: ${CONCURRENT} calls, ${IN_FLIGHT} in flight`);
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < CONCURRENT) {
            next++;
            await client.raw(path, body);
          }
        }),
      );
      r.record({
        name: `gRPC handler calls/s, ${IN_FLIGHT} in flight, Unix socket (${label})`,
        value: CONCURRENT / ((performance.now() - started) / 1000),
        unit: "calls/s",
        budget: null,
        better: "higher",
      });
      client.close();
    }
  } finally {
    child.kill();
    await child.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
