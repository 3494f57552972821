// Handler round trip over a Unix socket: the coordinator's lean Connect client calling a real
// child process (the synthetic echo aggregate) with a small and a 10 KiB command.
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
import { UnixSocketClient, unary } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { type BenchReporter, percentile } from "./harness";

const ROUNDS = 5_000;

export default async function (r: BenchReporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-"));
  const socket = join(dir, "echo.sock");
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "..", "runtime/testing/fixtures/echo-agg.ts"),
      "--socket",
      socket,
    ],
    {
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  try {
    const client = new UnixSocketClient(socket, "agg-echo");
    for (let i = 0; i < 200; i++) {
      try {
        await unary(client, Health.method.check, create(HealthCheckRequestSchema, {}));
        break;
      } catch {
        await Bun.sleep(25);
      }
    }
    for (const [label, size] of [
      ["small", 16],
      ["10 KiB", 10 * 1024],
    ] as const) {
      const cover = Covers.make({ domain: "echo", root: Uuid.randomBytes(), correlationId: "bench" });
      const body = toBinary(
        ContextualCommandSchema,
        create(ContextualCommandSchema, {
          events: create(EventBookSchema, { cover }),
          command: create(CommandBookSchema, {
            cover,
            pages: [
              create(CommandPageSchema, {
                sequence: 0,
                command: AnyPayload.pack(
                  StringValueSchema,
                  create(StringValueSchema, { value: "x".repeat(size) }),
                ),
              }),
            ],
          }),
        }),
      );
      const path = `/${Aggregate.typeName}/${Aggregate.method.handle.name}`;
      for (let i = 0; i < 500; i++) await client.raw(path, body); // warm-up
      r.progress(`${label}: ${ROUNDS} sequential calls`);
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        await client.raw(path, body);
        samples.push((performance.now() - t) * 1000);
      }
      r.record({
        name: `socket round trip p50 (${label} command)`,
        value: percentile(samples, 50),
        unit: "µs",
        budget: label === "small" ? 100 : null,
        better: "lower",
      });
      r.record({
        name: `socket round trip p99 (${label} command)`,
        value: percentile(samples, 99),
        unit: "µs",
        budget: null,
        better: "lower",
      });
    }
  } finally {
    child.kill();
    await child.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
