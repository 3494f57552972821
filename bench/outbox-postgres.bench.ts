// The outbox path of a saga hop on PostgreSQL, as the saga role runs it per source event: the
// causation check, the decision (causation + one command entry, one write), the settlement of
// that entry (one write). One writer after another on distinct causes (the round trips, not lock
// waits, are what is measured), after a warm-up. Beside the rate: CPU µs per hop of this process
// (the client side: query building, the driver, the pool) and of the PostgreSQL backends serving
// its pool (found by their client ports, read from /proc), which hold when wall clock swings.
import { randomBytes } from "node:crypto";
import { SQL } from "bun";
import { PostgresStorage } from "../runtime/storage/postgres/index";
import type { CausationKey } from "../runtime/storage/types";
import { cpuMsOf, localPorts } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const HOPS = 2_000;
const WARM_UP = 300;

async function hop(storage: PostgresStorage, n: number): Promise<void> {
  const cause: CausationKey = {
    component: "saga-bench",
    domain: "src",
    edition: "",
    root: new Uint8Array(randomBytes(16)),
    sequence: n,
  };
  if (await storage.causations.has(cause)) throw new Error("causation recorded already");
  const [decided] = await storage.outbox.write([
    {
      causations: [cause],
      outcome: () => new Uint8Array([1]),
      enqueue: [
        {
          cause,
          name: "command-0",
          lane: `saga-bench/src//${n}`,
          kind: "saga-command",
          payload: new Uint8Array(120),
        },
      ],
    },
  ]);
  const entry = decided?.kind === "written" ? decided.enqueued[0] : undefined;
  if (!entry) throw new Error(`decision not written: ${decided?.kind}`);
  const [settled] = await storage.outbox.write([
    { settle: { id: entry.id, status: "delivered" }, outcome: () => new Uint8Array([2]) },
  ]);
  if (settled?.kind !== "written") throw new Error(`settlement not written: ${settled?.kind}`);
}

export default async function (r: BenchReporter): Promise<void> {
  const schema = `angzarr_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 1 });
  const admin = new SQL(URL);
  try {
    r.progress(
      `${HOPS.toLocaleString("en-US")} saga hops' outbox work, one after another (${WARM_UP} warm-up)`,
    );
    for (let i = 0; i < WARM_UP; i++) await hop(storage, i);
    const ports = localPorts(process.pid);
    const rows =
      (await admin`SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL`) as {
        pid: number;
        client_port: number;
      }[];
    const backends = rows.filter((row) => ports.has(row.client_port)).map((row) => row.pid);
    const backendMs = () => backends.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const cpu0 = process.cpuUsage();
    const b0 = backendMs();
    const started = performance.now();
    for (let i = 0; i < HOPS; i++) await hop(storage, WARM_UP + i);
    const ms = performance.now() - started;
    const client = process.cpuUsage(cpu0);
    r.record({
      name: "postgres outbox: saga hops (check, decision, settlement) one after another",
      value: (HOPS / ms) * 1000,
      unit: "hops/s",
      budget: null,
      better: "higher",
    });
    r.record({
      name: "postgres outbox: CPU µs per hop, client",
      value: (client.user + client.system) / HOPS,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "postgres outbox: CPU µs per hop, PostgreSQL backend",
      value: ((backendMs() - b0) * 1000) / HOPS,
      unit: "µs",
      budget: null,
      better: "lower",
    });
  } finally {
    await storage.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.close();
  }
}
