// The `angzarr` command line: `angzarr standalone` runs the runtime; every other subcommand
// operates a running one through its admin listener. `angzarr <command> --help` for each.
//
// Exit codes (every subcommand): 0 done; 1 the operation failed (runtime unreachable or refusing,
// not SERVING, invalid configuration for `config check`, start-up failure for `standalone`);
// 2 bad usage (unknown command or option, malformed argument; invalid configuration for
// `standalone`).
import { parseArgs } from "node:util";
import { startAdminRole } from "../app/admin-role";
import { startAggregateRole } from "../app/aggregate-role";
import { startGatewayRole } from "../app/gateway-role";
import { startReactiveRole } from "../app/reactive-role";
import { readDistributedEnv } from "../app/role-kit";
import { type Standalone, startStandalone } from "../app/standalone";
import { ConfigError, loadConfig, type RuntimeConfig } from "../config/load";
import { log, logFormat, setLogFormat } from "../observability/log";
import { startRuntimeTracing, stopRuntimeTracing } from "../observability/tracing";
import { UsageError as CommandUsageError, runCommand } from "./common";
import { config } from "./config-check";
import { dlq } from "./dlq";
import { editions } from "./editions";
import { events } from "./events";
import { applyGcPolicy, ROLE_POLICY } from "./gc-policy";
import { health } from "./health";
import { projection } from "./projection";
import { speculate } from "./speculate";
import { topology } from "./topology";

const USAGE = `usage: angzarr <command> [options]

commands:
  standalone     run the coordinator, the gateway and every configured domain program
  gateway        distributed mode: the client-facing gateway (routes commands to ANGZARR_PEERS)
  admin          distributed mode: the admin listener (console, /metrics, operator services) on
                 --admin-port; asks the roles in ANGZARR_PEERS / ANGZARR_REACTIVE_PEERS
  aggregate      distributed mode: one domain's aggregate coordinator (--domain D) and its program
  saga NAME      distributed mode: one saga and its program (also: projector NAME, pm NAME)
  events         an aggregate's (or a workflow's) events decoded to JSON; --follow
  topology       components and flows of a running runtime
  editions       list, create or delete editions (what-if timelines)
  dlq            list, show, replay or discard dead-lettered cases
  projection     consumers' checkpoints and lag; rebuild a projection
  speculate      dry-run a command, or run a saga / PM / projector on stored books
  health         exit 0 when a running coordinator answers SERVING
  config check   validate a configuration file without starting anything
Each answers --help. Operator commands reach the admin listener (--admin URL, default
http://127.0.0.1:1311, env ANGZARR_ADMIN_URL; token from ANGZARR_ADMIN_TOKEN).
Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.

options (standalone):
  --config FILE  YAML configuration (default: every example program, SQLite under --data)
  --port N       gateway TCP port (default 1310; 0 = any free port)      env ANGZARR_PORT
  --admin-port N admin listener port: operator services, console, /metrics (default 1311; 0 when
                 --port is 0) env ANGZARR_ADMIN_PORT; localhost only unless admin.token /
                 ANGZARR_ADMIN_TOKEN is set
  --data DIR     data folder: SQLite file and handler sockets (default .data)  env ANGZARR_DATA
  --compiled     run compiled programs from dist/ (bun run build) instead of bun <entry>
  --log FORMAT   json (one object per line) or text (words); default text on a terminal, else json
                 env ANGZARR_LOG_FORMAT
  -h, --help     show this help

environment: ANGZARR_STORAGE (memory|sqlite|postgres), ANGZARR_PG_URL, ANGZARR_LOG (debug|info|warn|error|silent)
distributed roles (same options as standalone) also read: ANGZARR_AMQP_URL, ANGZARR_BUS_PREFIX,
  ANGZARR_PEERS (domain=url,...), ANGZARR_REACTIVE_PEERS (name=url,...), ANGZARR_HANDLER_SOCKET,
  ANGZARR_PG_POOL (connections per role, default 3)
`;

class UsageError extends Error {}

interface StandaloneArgs {
  config?: string;
  port?: number;
  adminPort?: number;
  data?: string;
  compiled: boolean;
  log?: "json" | "text";
  /** Roles: the first positional (a component name). */
  name?: string;
  /** Aggregate role: --domain. */
  domain?: string;
}

const ROLES = ["gateway", "admin", "aggregate", "saga", "projector", "pm"] as const;
type Role = (typeof ROLES)[number];

function parseStandalone(args: string[], role?: Role): StandaloneArgs | "help" {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : (message.split("\n")[0] ?? message));
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const out: StandaloneArgs = { compiled: values.compiled ?? false };
  const named = role === "saga" || role === "projector" || role === "pm";
  if (named) {
    if (positionals.length === 0)
      throw new UsageError(`${role} needs the component name: angzarr ${role} NAME`);
    out.name = positionals[0] as string;
  }
  const extra = positionals[named ? 1 : 0];
  if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
  if (values.domain !== undefined) {
    if (role !== "aggregate") throw new UsageError("--domain is for the aggregate role only");
    out.domain = values.domain;
  } else if (role === "aggregate") throw new UsageError("aggregate needs --domain D");
  if (values.config !== undefined) out.config = values.config;
  if (values.data !== undefined) {
    if (values.data === "") throw new UsageError("--data needs a folder");
    out.data = values.data;
  }
  if (values.port !== undefined) {
    const n = Number(values.port);
    if (!/^\d+$/.test(values.port) || n > 65_535) {
      throw new UsageError(`--port expects an integer 0..65535, got ${JSON.stringify(values.port)}`);
    }
    out.port = n;
  }
  if (values.log !== undefined) {
    if (values.log !== "json" && values.log !== "text") {
      throw new UsageError(`--log expects json or text, got ${JSON.stringify(values.log)}`);
    }
    out.log = values.log;
  }
  if (values["admin-port"] !== undefined) {
    const v = values["admin-port"];
    if (!/^\d+$/.test(v) || Number(v) > 65_535) {
      throw new UsageError(`--admin-port expects an integer 0..65535, got ${JSON.stringify(v)}`);
    }
    out.adminPort = Number(v);
  }
  return out;
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      "admin-port": { type: "string" },
      data: { type: "string", short: "d" },
      compiled: { type: "boolean" },
      domain: { type: "string" },
      log: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** What a person at a terminal wants to know once the runtime is up. */
function summary(config: RuntimeConfig, app: Standalone): string {
  const programs = app.supervisor.programs().map((p) => {
    const state = p.state;
    return `${p.component.program} ${state === "ready" || state === "external" ? "healthy" : state.toUpperCase()}`;
  });
  return [
    "",
    "angzarr is running",
    `  gateway   ${config.host}:${app.gatewayPort}   (clients: commands, queries)`,
    `  admin     ${app.admin.url}   (operators: console ${app.admin.url}/console, metrics ${app.admin.url}/metrics)`,
    `  data      ${config.data}   (storage: ${config.storage.backend})`,
    `  programs  ${programs.length === 0 ? "none" : programs.join(", ")}`,
    "Ctrl-C stops it.",
    "",
  ].join("\n");
}

/** Starts one distributed-mode role (reads the distributed environment). */
function startRole(
  role: Role,
  args: StandaloneArgs,
  config: RuntimeConfig,
): Promise<{ stop(): Promise<void> }> {
  const env = readDistributedEnv();
  if (role === "gateway") return startGatewayRole(config, env);
  if (role === "admin") return startAdminRole(config, env);
  if (role === "aggregate") return startAggregateRole(config, args.domain as string, env);
  return startReactiveRole(config, { kind: role, name: args.name as string }, env);
}

async function standalone(args: StandaloneArgs, role?: Role): Promise<number> {
  if (args.log !== undefined) setLogFormat(args.log);
  const config = loadConfig({
    ...(args.config !== undefined ? { file: args.config } : {}),
    flags: {
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.adminPort !== undefined ? { adminPort: args.adminPort } : {}),
      ...(args.data !== undefined ? { data: args.data } : {}),
    },
    ...(args.compiled ? { preferCompiled: true } : {}),
  });
  // Signals during start-up are honoured once start-up ends (children are ours by then).
  let signalled: ((signal: string) => void) | undefined;
  const pending: string[] = [];
  const onSignal = (signal: string) => (signalled ? signalled(signal) : pending.push(signal));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  // Each process its own service name: "angzarr" standalone, "angzarr-<role>[-<domain|name>]" otherwise.
  await startRuntimeTracing(
    role === undefined ? "angzarr" : ["angzarr", role, args.domain ?? args.name].filter(Boolean).join("-"),
  );
  let app: { stop(): Promise<void> };
  if (role === undefined) {
    const standaloneApp = await startStandalone(config);
    if (process.stdout.isTTY && logFormat() === "text") process.stdout.write(summary(config, standaloneApp));
    app = standaloneApp;
  } else app = await startRole(role, args, config);
  return new Promise<number>((resolve) => {
    signalled = (signal) => {
      log.info("runtime.signal", { signal });
      app
        .stop()
        .then(() => stopRuntimeTracing())
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error("runtime.stop_failed", { error: (err as Error).message });
            resolve(1);
          },
        );
    };
    const first = pending[0];
    if (first !== undefined) signalled(first);
  });
}

/** The operator subcommands: each parses its own options and returns its exit code. */
const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  events,
  topology,
  editions,
  dlq,
  projection,
  speculate,
  health,
  config,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    const operate = COMMANDS[command];
    if (operate) {
      const name = command === "config" ? "angzarr config" : `angzarr ${command}`;
      return await runCommand(name, () => operate(rest));
    }
    const role = (ROLES as readonly string[]).includes(command) ? (command as Role) : undefined;
    if (command !== "standalone" && role === undefined) {
      throw new UsageError(
        `unknown command ${command} (commands: standalone, ${[...ROLES, ...Object.keys(COMMANDS)].join(", ")})`,
      );
    }
    const args = parseStandalone(rest, role);
    if (args === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    return await standalone(args, role);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommandUsageError) {
      process.stderr.write(`angzarr: ${err.message} (see angzarr --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`angzarr: ${err.message}\n`);
      return 2;
    }
    log.error("runtime.start_failed", { error: (err as Error).message });
    process.stderr.write(`angzarr: could not start: ${(err as Error).message}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const command = process.argv[2] ?? "";
  // The long-running commands run under the runtime's GC policy (gc-policy.ts; the distributed
  // roles under ROLE_POLICY): this may start the process again, with the same pid and arguments.
  const warn = (error: Error) => log.warn("runtime.gc_policy_failed", { error: error.message });
  if (command === "standalone") applyGcPolicy(warn);
  else if ((ROLES as readonly string[]).includes(command)) applyGcPolicy(warn, ROLE_POLICY);
  process.exit(await main(process.argv.slice(2)));
}
