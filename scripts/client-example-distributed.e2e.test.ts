// The README's distributed mode as a new user runs it: the whole example topology as separate OS
// processes (launchDistributed, as `bun run start:distributed`) over PostgreSQL (a fresh schema)
// and RabbitMQ (a fresh prefix), then the example client from the README's "Distributed mode"
// block takes an order through its lifecycle: reserved by the inventory saga, paid and confirmed
// (the order-summary projector's row in the reply), shipment opened by the fulfillment saga. The
// broker then lists one queue per consumer and input domain, each with one consumer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchDistributed, type Topology } from "../runtime/app/distributed";
import { listQueues as brokerQueues } from "../runtime/testing/broker";
import { removeRunState } from "../runtime/testing/distributed-run";

const repo = join(import.meta.dir, "..");
const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const id = Math.random().toString(36).slice(2, 8);
const schema = `cli_${id}`;
const prefix = `cli-${id}`;
let topology: Topology;
let data: string;

/** The broker's queues of this run with their consumer counts (`rabbitmqctl list_queues`). */
function listQueues(): Map<string, number> {
  return new Map([...brokerQueues()].filter(([name]) => name.startsWith(`${prefix}.`)));
}

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "client-dist-"));
  topology = await launchDistributed({
    port: 0,
    data,
    env: {
      ANGZARR_PG_URL: PG_URL,
      ANGZARR_PG_SCHEMA: schema,
      ANGZARR_AMQP_URL: AMQP_URL,
      ANGZARR_BUS_PREFIX: prefix,
      ANGZARR_LOG: "error",
    },
    print: () => undefined,
    logs: "ignore",
  });
}, 240_000);

afterAll(async () => {
  const queues = [...listQueues().keys()];
  await topology?.stop();
  await removeRunState({ pgUrl: PG_URL, amqpUrl: AMQP_URL, schema, queues, exchange: `${prefix}.events` });
  rmSync(data, { recursive: true, force: true });
}, 60_000);

/** The client's command line in the README's "Distributed mode" block, pointed at this gateway. */
function readmeCommand(): string[] {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Distributed mode"));
  const line = section.split("\n").find((l) => l.startsWith("bun scripts/client-example.ts"));
  if (!line) throw new Error("the README's distributed mode has no client-example command line");
  return line
    .replace(/#.*$/, "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map((arg) => arg.replace(/http:\/\/127\.0\.0\.1:1310/, topology.gatewayUrl));
}

describe("README distributed mode: the example client against every role in its own process", () => {
  test("an order's lifecycle completes; one queue per consumer, each consumed once", async () => {
    const args = readmeCommand();
    expect(args).toContain(topology.gatewayUrl);
    const proc = Bun.spawn([process.execPath, ...args], { cwd: repo, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toContain("reserved by the inventory saga: 2 × SKU-001");
    expect(stdout).toContain("reserved by the inventory saga: 1 × SKU-002");
    expect(stdout).toContain("paid 4500 cents by card");
    expect(stdout).toContain("order report (projector-order-summary) updated: examples.Receipt");
    expect(stdout).toContain("examples.ShipmentCreated");
    const queues = listQueues();
    expect(Object.fromEntries(queues)).toEqual({
      [`${prefix}.pmg-order-fulfillment.fulfillment`]: 1,
      [`${prefix}.pmg-order-fulfillment.inventory`]: 1,
      [`${prefix}.pmg-order-fulfillment.order`]: 1,
      [`${prefix}.projector-customer-loyalty.customer`]: 1,
      [`${prefix}.projector-inventory-stock.inventory`]: 1,
      [`${prefix}.projector-order-summary.order`]: 1,
      [`${prefix}.saga-fulfillment-inventory.fulfillment`]: 1,
      [`${prefix}.saga-order-customer.order`]: 1,
      [`${prefix}.saga-order-fulfillment.order`]: 1,
      [`${prefix}.saga-order-inventory.order`]: 1,
    });
  }, 120_000);
});
