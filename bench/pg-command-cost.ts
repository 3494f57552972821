// What PostgreSQL's backends spend per distributed command, by statement: the history read
// (getEncodedHistory: snapshot + pages after it) and the append (grouped as the role groups them,
// one page + snapshot per command), on aggregates that have a history as the bench's do.
// `bun bench/pg-command-cost.ts [AGGREGATES] [HISTORY] [ROUNDS]`: backend CPU µs per read and per
// append (from /proc, the pool's backends found by the client's ports), with the load average;
// each round adds 100 pages to every history (a cost that grows with the history shows).
import { readFileSync } from "node:fs";
import { EventPages } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, DoubleValueSchema, UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { openStorage } from "../runtime/storage/open";
import { newRoot } from "../runtime/testing/processes";
import { cpuMsOf, localPorts } from "./fixtures/proc-cpu";

const [aggregates = 64, history = 300, rounds = 3] = process.argv.slice(2).map(Number);
const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const schema = `distcmd_pg_${Math.random().toString(36).slice(2, 7)}`;
const store = await openStorage({ backend: "postgres", url: PG_URL, schema, maxConnections: 3 });
const admin = new SQL(PG_URL);
const event = (n: number) =>
  create(AnySchema, {
    typeUrl: `type.googleapis.com/${UInt32ValueSchema.typeName}`,
    value: toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value: n })),
  });
const state = (n: number) =>
  create(AnySchema, {
    typeUrl: `type.googleapis.com/${DoubleValueSchema.typeName}`,
    value: toBinary(DoubleValueSchema, create(DoubleValueSchema, { value: n })),
  });
const refs = Array.from({ length: aggregates }, () => ({ domain: "counter", edition: "", root: newRoot() }));
const next = new Array<number>(aggregates).fill(0);
/** One command's append on every aggregate at once (the role's group commit groups them). */
const appendAll = () =>
  Promise.all(
    refs.map(async (ref, i) => {
      const seq = next[i] as number;
      await store.events.append(ref, [EventPages.numbered(seq, event(seq))], {
        correlationId: `c${i}`,
        snapshotState: state(seq),
      });
      next[i] = seq + 1;
    }),
  );
const readAll = () => Promise.all(refs.map((ref) => store.events.getEncodedHistory?.(ref)));
const backends = async () => {
  const ports = localPorts(process.pid);
  const rows = (await admin`SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL`) as {
    pid: number;
    client_port: number;
  }[];
  return rows.filter((r) => ports.has(r.client_port)).map((r) => r.pid);
};
const cpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
try {
  for (let i = 0; i < history; i++) await appendAll();
  const pids = await backends();
  for (let round = 0; round < rounds; round++) {
    const before = load();
    const steps = 100;
    let from = cpu(pids);
    for (let i = 0; i < steps; i++) await readAll();
    const readUs = ((cpu(pids) - from) * 1000) / (steps * aggregates);
    from = cpu(pids);
    for (let i = 0; i < steps; i++) await appendAll();
    const appendUs = ((cpu(pids) - from) * 1000) / (steps * aggregates);
    console.log(
      JSON.stringify({
        load: `${before} -> ${load()}`,
        history: next[0],
        backendUsPerRead: Number(readUs.toFixed(1)),
        backendUsPerAppend: Number(appendUs.toFixed(1)),
      }),
    );
  }
} finally {
  await store.close();
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.close();
}
