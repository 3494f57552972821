// The commands phase of distributed.bench.ts alone, for profiling and A/B pairs:
// `bun bench/distributed-commands.ts [CLIENTS] [PER_CLIENT] [WARM_UP]`: the gateway and the counter's
// aggregate coordinator as processes over the local PostgreSQL (a fresh schema) and RabbitMQ (a fresh
// prefix); 64 clients through the gateway from a separate process; prints commands/s and CPU ms per
// command of each process (each role, its handler program, the roles' PostgreSQL backends, the
// RabbitMQ server) over the timed window, from /proc, with the load average.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SQL } from "bun";
import { Connection } from "rabbitmq-client";
import { launchDistributed } from "../runtime/app/distributed";
import { ROLE_POLICY } from "../runtime/cli/gc-policy";
import { gatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { DeploymentCpu } from "./fixtures/deployment-cpu";
import { type ProcessGroup, threadCpuMsOf } from "./fixtures/proc-cpu";

const [clients = 64, perClient = 120, warmUp = 40] = process.argv.slice(2).map(Number);
const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

const dir = benchDir("az-bench-distcmd-");
const id = `distcmd_${Math.random().toString(36).slice(2, 7)}`;
const counter = await compiledCounter();
const file = join(dir, "angzarr.yaml");
writeFileSync(
  file,
  [
    `storage: { backend: postgres, schema: ${id} }`,
    "log: error",
    "components:",
    `  - { name: counter, kind: aggregate, command: ["${counter}", --domain, counter] }`,
  ].join("\n"),
);
const topology = await launchDistributed({
  port: 0,
  data: dir,
  config: file,
  env: {
    ANGZARR_PG_URL: PG_URL,
    ANGZARR_AMQP_URL: AMQP_URL,
    ANGZARR_BUS_PREFIX: id,
    ANGZARR_LOG: "error",
    // ANGZARR_PROFILE_DIR: every role (and its handler program) writes a `--cpu-prof` there on exit;
    // the GC policy set beforehand, or the role's start-again (execve) kills the sampler's process.
    ...(process.env.ANGZARR_PROFILE_DIR
      ? { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.ANGZARR_PROFILE_DIR}`, ...ROLE_POLICY }
      : {}),
  },
  print: () => undefined,
  logs: "inherit",
});
const admin = new SQL(PG_URL);
const cpu = new DeploymentCpu(admin, () => topology.processes);
/** System (kernel) CPU ms of each group so far (field 15 of /proc/PID/stat). */
const systemMs = (groups: readonly ProcessGroup[]) =>
  new Map(
    groups.map((g) => [
      g.name,
      g.pids.reduce((sum, pid) => {
        try {
          const text = readFileSync(`/proc/${pid}/stat`, "utf8");
          return sum + Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[12]) * 10;
        } catch {
          return sum;
        }
      }, 0),
    ]),
  );
const rabbit = (): number[] => {
  const out: number[] = [];
  for (const line of Bun.spawnSync(["pgrep", "-f", "beam.smp"]).stdout.toString().split("\n"))
    if (line.trim() !== "") out.push(Number(line));
  return out;
};
try {
  let groups: readonly ProcessGroup[] = [];
  let sysBefore = new Map<string, number>();
  let threadsBefore = new Map<string, number>();
  /** CPU ms of every role's and handler program's threads, by process and thread name. */
  const threadMs = (groups: readonly ProcessGroup[]) => {
    const out = new Map<string, number>();
    for (const g of groups) {
      if (g.name === "RabbitMQ") continue;
      for (const pid of g.pids)
        for (const [thread, ms] of threadCpuMsOf(pid))
          out.set(`${g.name}/${thread}`, (out.get(`${g.name}/${thread}`) ?? 0) + ms);
    }
    return out;
  };
  const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const loadBefore = load();
  const result = await gatewayLoad(topology.gatewayUrl, clients, perClient, warmUp, async () => {
    await cpu.start([{ name: "RabbitMQ", pids: rabbit() }]);
    groups = cpu.sampled();
    sysBefore = systemMs(groups);
    threadsBefore = threadMs(groups);
  });
  const per = await cpu.stop(result.commands);
  let total = 0;
  for (const [name, v] of per) if (name !== "RabbitMQ") total += v;
  const sysAfter = systemMs(groups);
  const threads = [...threadMs(groups)]
    .map(([name, ms]) => [name, (ms - (threadsBefore.get(name) ?? 0)) / result.commands] as const)
    .filter(([, v]) => v >= 0.003)
    .map(([name, v]) => `${name} ${v.toFixed(3)}`);
  const sys = [...sysAfter]
    .filter(([name]) => (per.get(name) ?? 0) >= 0.005)
    .map(
      ([name, v]) =>
        `${name} ${(((v - (sysBefore.get(name) ?? 0)) / result.commands / (per.get(name) ?? 1)) * 100).toFixed(0)}%`,
    );
  const cells = [...per].filter(([, v]) => v >= 0.005).map(([n, v]) => `${n} ${v.toFixed(3)}`);
  console.log(
    JSON.stringify({
      load: `${loadBefore} -> ${load()}`,
      commandsPerS: Math.round(result.commands / (result.ms / 1000)),
      allMs: Number(total.toFixed(3)),
      loadGeneratorMs: Number((result.cpuUs / 1000 / result.commands).toFixed(3)),
      p99Ms: Number(result.p99Ms.toFixed(1)),
      cells: cells.join(", "),
      systemShare: sys.join(", "),
      threads: threads.join(", "),
    }),
  );
} finally {
  await topology.stop();
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${id}" CASCADE`).catch(() => undefined);
  await admin.close();
  const broker = new Connection(AMQP_URL);
  await broker.onConnect(5_000);
  await broker.exchangeDelete({ exchange: `${id}.events` }).catch(() => undefined);
  await broker.close();
}
