// `bun run start:distributed [--port N] [--admin-port N] [--data DIR] [--config FILE]`: the whole
// example topology on this machine as separate OS processes (the gateway, the admin role with the
// console and the operator services, one aggregate coordinator per domain, one process per saga,
// projector and process manager, each with its own handler program) against the
// local PostgreSQL (ANGZARR_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and
// RabbitMQ (ANGZARR_AMQP_URL). Prints one line per process (role, pid, address); Ctrl-C / SIGTERM
// stops every child.
import { mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ComponentConfig, examplesConfig, loadConfig } from "../config/load";
import { projectRoot } from "../config/paths";
import { DEFAULT_ADMIN_PORT } from "../services/admin-bind";

export interface LaunchOptions {
  /** Gateway port (0 = any free port; default 1310). */
  port?: number;
  /** Admin role's port: console, /metrics, operator services (0 = any free port; default 1311, 0 when `port` is 0). */
  adminPort?: number;
  data?: string;
  /** A YAML config; default: every example program, PostgreSQL storage. */
  config?: string;
  /** Environment of every child (on top of process.env). */
  env?: Record<string, string>;
  /** Where the one line per process goes (default stdout). */
  print?: (line: string) => void;
  /** Children's stderr (logs): inherited (default) or dropped. */
  logs?: "inherit" | "ignore";
  /** How long every role may take to listen, ms (default 180 000). */
  startTimeoutMs?: number;
  /**
   * More than one process for some roles, by role (`{ "saga saga-x": 2 }`): replica 2.. is named
   * `<role> #2` and keeps its handler's socket (and its local read models) under `<data>/replica-N`.
   */
  replicas?: Record<string, number>;
}

export interface LaunchedProcess {
  role: string;
  /** CLI arguments of the role (`aggregate --domain order`). */
  args: string[];
  pid: number;
  url: string;
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
}

export interface Topology {
  gatewayUrl: string;
  /** The admin role: `${adminUrl}/console`, `${adminUrl}/metrics`, the operator services. */
  adminUrl: string;
  processes: LaunchedProcess[];
  configFile: string;
  /** Starts one role again (after it was killed), on the same port. */
  restart(role: string): Promise<LaunchedProcess>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function roleArgs(c: ComponentConfig): { role: string; args: string[] } {
  if (c.kind === "aggregate") {
    const domain = c.domain ?? c.name;
    return { role: `aggregate ${domain}`, args: ["aggregate", "--domain", domain] };
  }
  const kind = c.kind === "process_manager" ? "pm" : c.kind;
  return { role: `${kind} ${c.name}`, args: [kind, c.name] };
}

export async function launchDistributed(options: LaunchOptions = {}): Promise<Topology> {
  const root = projectRoot();
  const data = resolve(options.data ?? ".data");
  mkdirSync(data, { recursive: true });
  let configFile = options.config;
  const schema = options.env?.ANGZARR_PG_SCHEMA ?? process.env.ANGZARR_PG_SCHEMA ?? "angzarr";
  const env: Record<string, string> = {
    ANGZARR_PG_URL: process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    ...options.env,
  };
  // ANGZARR_EXAMPLES=python|go|mixed: that language's example system (its folder's runtime
  // config, whose relative paths stay its own), on PostgreSQL through the environment.
  const examples = configFile === undefined ? examplesConfig(root, { ...process.env, ...env }) : undefined;
  if (examples !== undefined) {
    configFile = examples;
    Object.assign(env, { ANGZARR_STORAGE: "postgres", ANGZARR_PG_SCHEMA: schema });
  } else if (configFile === undefined) {
    configFile = join(data, "distributed.yaml");
    writeFileSync(
      configFile,
      `# written by start:distributed\nstorage: { backend: postgres, schema: ${schema} }\nhandlers: { healthTimeoutMs: 90000 }\n`,
    );
  } else if (!isAbsolute(configFile)) configFile = resolve(configFile);
  const config = loadConfig({ file: configFile, env: { ...process.env, ...env }, flags: { data } });
  const gatewayPort =
    options.port === undefined ? 1310 : options.port === 0 ? await freePort() : options.port;
  // Like standalone's admin listener: 1311 by default, any free port when the gateway's is.
  const wantedAdmin = options.adminPort ?? (options.port === 0 ? 0 : DEFAULT_ADMIN_PORT);
  const adminPort = wantedAdmin === 0 ? await freePort() : wantedAdmin;
  const roles = await Promise.all(
    config.components.map(async (c) => ({ ...roleArgs(c), component: c, port: await freePort() })),
  );
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const peers = roles
    .filter((r) => r.component.kind === "aggregate")
    .map((r) => `${r.component.domain ?? r.component.name}=${url(r.port)}`)
    .join(",");
  const reactivePeers = roles
    .filter((r) => r.component.kind !== "aggregate")
    .map((r) => `${r.component.name}=${url(r.port)}`)
    .join(",");
  const childEnv = {
    ...process.env,
    ...env,
    ANGZARR_PEERS: peers,
    ANGZARR_REACTIVE_PEERS: reactivePeers,
  };
  const replicas = await Promise.all(
    roles.flatMap((r) =>
      Array.from({ length: Math.max(0, (options.replicas?.[r.role] ?? 1) - 1) }, async (_, i) => ({
        role: `${r.role} #${i + 2}`,
        args: r.args,
        port: await freePort(),
        data: join(data, `replica-${i + 2}`),
      })),
    ),
  );
  const all: { role: string; args: string[]; port: number; data?: string; portFlag?: string }[] = [
    { role: "gateway", args: ["gateway"], port: gatewayPort },
    { role: "admin", args: ["admin"], port: adminPort, portFlag: "--admin-port" },
    ...roles,
    ...replicas,
  ];
  const print = options.print ?? ((line: string) => console.log(line));
  const processes: LaunchedProcess[] = [];

  const spawnRole = async (r: (typeof all)[number]): Promise<LaunchedProcess> => {
    const proc = Bun.spawn(
      [
        process.execPath,
        join(root, "runtime", "cli", "main.ts"),
        ...r.args,
        "--config",
        configFile,
        r.portFlag ?? "--port",
        String(r.port),
        "--data",
        r.data ?? data,
      ],
      { cwd: root, env: childEnv, stdout: "pipe", stderr: options.logs ?? "inherit" },
    );
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const timer = setTimeout(() => proc.kill("SIGKILL"), options.startTimeoutMs ?? 180_000);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`${r.role} exited before listening (code ${await proc.exited})`);
        text += decoder.decode(value, { stream: true });
        if (/ listening on /.test(text)) break;
      }
    } finally {
      clearTimeout(timer);
      reader.releaseLock();
      void proc.stdout.pipeTo(new WritableStream()).catch(() => undefined);
    }
    const launched = { role: r.role, args: r.args, pid: proc.pid, url: url(r.port), port: r.port, proc };
    print(`${r.role.padEnd(40)} pid ${String(proc.pid).padEnd(8)} ${launched.url}`);
    return launched;
  };

  const stop = async () => {
    const live = processes.splice(0);
    for (const p of live) p.proc.kill("SIGTERM");
    await Promise.all(
      live.map(async (p) => {
        const timer = setTimeout(() => p.proc.kill("SIGKILL"), 20_000);
        await p.proc.exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    const started = await Promise.allSettled(all.map((r) => spawnRole(r)));
    for (const s of started) if (s.status === "fulfilled") processes.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    gatewayUrl: url(gatewayPort),
    adminUrl: url(adminPort),
    processes,
    configFile,
    restart: async (role) => {
      const r = all.find((x) => x.role === role);
      if (!r) throw new Error(`no role ${role}`);
      const at = processes.findIndex((p) => p.role === role);
      if (at >= 0) {
        const old = processes[at] as LaunchedProcess;
        old.proc.kill("SIGKILL");
        await old.proc.exited;
        processes.splice(at, 1);
      }
      const again = await spawnRole(r);
      processes.push(again);
      return again;
    },
    stop,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: "string", short: "p" },
      "admin-port": { type: "string" },
      data: { type: "string", short: "d" },
      config: { type: "string", short: "c" },
    },
  });
  const portOf = (flag: string, value: string | undefined) => {
    const n = value === undefined ? undefined : Number(value);
    if (n !== undefined && (!/^\d+$/.test(value ?? "") || n > 65_535)) {
      console.error(`start:distributed: ${flag} expects an integer 0..65535, got ${value}`);
      process.exit(2);
    }
    return n;
  };
  const port = portOf("--port", values.port);
  const adminPort = portOf("--admin-port", values["admin-port"]);
  const topology = await launchDistributed({
    ...(port !== undefined ? { port } : {}),
    ...(adminPort !== undefined ? { adminPort } : {}),
    ...(values.data !== undefined ? { data: values.data } : {}),
    ...(values.config !== undefined ? { config: values.config } : {}),
  });
  console.log(`angzarr gateway listening on ${topology.gatewayUrl.replace("http://", "")}`);
  console.log(
    `angzarr admin listening on ${topology.adminUrl.replace("http://", "")} (console: ${topology.adminUrl}/console, metrics: ${topology.adminUrl}/metrics)`,
  );
  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping ${topology.processes.length} processes`);
    await topology.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  // A child that dies on its own is reported (the others keep running).
  for (const p of topology.processes) {
    void p.proc.exited.then((code) => console.error(`${p.role} (pid ${p.pid}) exited with code ${code}`));
  }
}
