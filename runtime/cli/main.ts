// The `angzarr` command line.
//
//   angzarr standalone [--config FILE] [--port N] [--data DIR] [--compiled]
//   angzarr dlq list|replay ...   (the dead-letter queue of a running runtime)
//   angzarr projection rebuild NAME (reset an async projection and replay)
//   angzarr health [--addr URL]     (exit 0 when a running coordinator answers SERVING)
//   angzarr topology [--json]      (components and observed flows of a running runtime)
//
// Exit codes: 0 clean stop, 1 start-up failure, 2 bad usage or invalid configuration.
import { parseArgs } from "node:util";
import { startStandalone } from "../app/standalone";
import { ConfigError, loadConfig } from "../config/load";
import { log } from "../observability/log";
import { dlq } from "./dlq";
import { health } from "./health";
import { projection } from "./projection";
import { topology } from "./topology";

const USAGE = `usage: angzarr <command> [options]

commands:
  standalone     run the coordinator, the gateway and every configured domain program
  dlq            list or replay dead-lettered cases of a running runtime (angzarr dlq --help)
  projection     rebuild an async projection of a running runtime (angzarr projection --help)
  health         exit 0 when a running coordinator answers SERVING (angzarr health --help)
  topology       components and flows of a running runtime (angzarr topology --help)

options (standalone):
  --config FILE  YAML configuration (default: every example program, SQLite under --data)
  --port N       gateway TCP port (default 1310; 0 = any free port)      env ANGZARR_PORT
  --data DIR     data folder: SQLite file and handler sockets (default .data)  env ANGZARR_DATA
  --compiled     run compiled programs from dist/ (bun run build) instead of bun <entry>
  -h, --help     show this help

environment: ANGZARR_STORAGE (memory|sqlite|postgres), ANGZARR_PG_URL, ANGZARR_LOG (debug|info|warn|error|silent)
`;

class UsageError extends Error {}

interface StandaloneArgs {
  config?: string;
  port?: number;
  data?: string;
  compiled: boolean;
}

function parseStandalone(args: string[]): StandaloneArgs | "help" {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
  const out: StandaloneArgs = { compiled: values.compiled ?? false };
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
      data: { type: "string", short: "d" },
      compiled: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function standalone(args: StandaloneArgs): Promise<number> {
  const config = loadConfig({
    ...(args.config !== undefined ? { file: args.config } : {}),
    flags: {
      ...(args.port !== undefined ? { port: args.port } : {}),
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
  const app = await startStandalone(config);
  return new Promise<number>((resolve) => {
    signalled = (signal) => {
      log.info("runtime.signal", { signal });
      app.stop().then(
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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "dlq") return await dlq(rest);
    if (command === "projection") return await projection(rest);
    if (command === "health") return await health(rest);
    if (command === "topology") return await topology(rest);
    if (command !== "standalone") throw new UsageError(`unknown command: ${command}`);
    const args = parseStandalone(rest);
    if (args === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    return await standalone(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`angzarr: ${err.message}\n\n${USAGE}`);
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

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
