// A real Prometheus (Debian's `prometheus`) scrapes a running runtime's `GET /metrics` (admin
// listener) while one business flow runs; its HTTP API must then hold every series the runtime promises.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { CommandGateway } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Subprocess } from "bun";
import { text } from "../services/testing/clients";
import { command } from "../services/testing/harness";
import { LEDGER, SOURCE } from "../testing/fixtures/reactive-components";
import { gatewayTransport, runLifecycle } from "../testing/lifecycle";
import { removeDir, tempDir, waitFor } from "../testing/processes";
import { type RunningRuntime, startRuntime } from "../testing/running-runtime";

let runtime: RunningRuntime;
let prometheus: Subprocess | undefined;
let promDir: string;
let promUrl: string;

/** A port free right now (Prometheus cannot listen on port 0 and tell us which it got). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  runtime = await startRuntime();
  promDir = tempDir("az-prom-");
  const config = join(promDir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: angzarr",
      "    metrics_path: /metrics",
      `    static_configs: [{ targets: ["127.0.0.1:${runtime.adminPort}"] }]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = Bun.spawn(
    [
      "prometheus",
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(promDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdout: "ignore", stderr: "ignore", stdin: "ignore" },
  );
}, 90_000);

afterAll(async () => {
  prometheus?.kill("SIGTERM");
  await prometheus?.exited;
  await runtime?.stop();
  if (promDir) removeDir(promDir);
});

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Sample[]> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; data?: { result: Sample[] } };
  return body.status === "success" ? (body.data?.result ?? []) : [];
}

/**
 * Waits until Prometheus holds a sample for `expr` (whose value is `value`, when given: a scrape
 * between two of the flow's commands holds the count of the first only), then returns them.
 */
async function series(expr: string, value?: number): Promise<Sample[]> {
  let found: Sample[] = [];
  await waitFor(
    `Prometheus to hold ${expr}${value === undefined ? "" : ` = ${value}`}`,
    async () => {
      found = await query(expr).catch(() => []);
      return found.length > 0 && (value === undefined || Number(found[0]?.value[1]) === value);
    },
    30_000,
  );
  return found;
}

test("Prometheus scrapes the runtime and holds the series of one business flow", async () => {
  const flow = await runLifecycle(runtime.url);
  // The same client command again: its sequence is stale now, counted under its outcome code.
  const gateway = createClient(CommandGateway, gatewayTransport(runtime.url));
  const stale = await gateway
    .execute(command(SOURCE, flow.root, StringValueSchema, text("again"), 0, flow.correlationId))
    .then(
      () => undefined,
      (err: unknown) => ConnectError.from(err),
    );
  expect(stale?.code).toBe(Code.Aborted);
  const page = await fetch(`${runtime.adminUrl}/metrics`);
  expect(page.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");

  expect((await series('up{job="angzarr"} == 1')).length).toBe(1);
  const commands = await series(`angzarr_commands_total{domain="${SOURCE}",code="OK"}`);
  expect(Number(commands[0]?.value[1])).toBeGreaterThanOrEqual(1);
  // Saga and PM commands into the ledger count too: two of them (a scrape may hold one first).
  await series(`angzarr_commands_total{domain="${LEDGER}",code="OK"}`, 2);
  await series(`angzarr_commands_total{domain="${SOURCE}",code="ABORTED"}`);
  await series(`angzarr_command_duration_seconds_bucket{domain="${SOURCE}",le="+Inf"}`);
  await series(`angzarr_handler_roundtrip_seconds_count{component="${SOURCE}",code="OK"}`);
  expect(
    Number((await series(`angzarr_events_appended_total{domain="${LEDGER}"}`))[0]?.value[1]),
  ).toBeGreaterThanOrEqual(2);
  await series('angzarr_store_operation_duration_seconds_count{operation="append"}');
  await series(`angzarr_snapshot_reads_total{domain="${SOURCE}"}`);
  await series(`angzarr_bus_published_total{domain="${SOURCE}"}`);
  await series('angzarr_bus_acked_total{result="ack"}');
  for (const consumer of ["saga-src-ledger", "pmg-watch", "projector-tally"]) {
    await series(`angzarr_consumer_lag_events{consumer="${consumer}"}`);
    await series(`angzarr_consumer_lag_seconds{consumer="${consumer}"}`);
    await series(`angzarr_dlq_entries{consumer="${consumer}"}`);
  }
  await series('angzarr_process_restarts_total{program="agg-src"}');
}, 120_000);
