// What every `angzarr` subcommand shares: option parsing that turns a mistake into one line and
// exit code 2, output helpers (JSON or text), progress
// on a terminal (plain lines otherwise), and the mapping of failures to exit codes. Every command
// talks to the runtime's admin listener (admin-transport.ts).
//
// Exit codes of every subcommand:
//   0  done (health: SERVING; config check: valid)
//   1  the operation failed: runtime unreachable or refusing (the message says why), not SERVING,
//      configuration invalid (config check)
//   2  bad usage: unknown subcommand or option, missing or malformed argument
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";

/** Bad usage: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** The operation failed: one line on stderr, exit 1. */
export class OperationError extends Error {}

export const ADMIN_OPTION_HELP = `  --admin URL     the runtime's admin listener (default http://127.0.0.1:1311, env ANGZARR_ADMIN_URL);
                  its token, when it has one, from ANGZARR_ADMIN_TOKEN`;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Closest known option to a mistyped one (edit distance ≤ 2), for the error line. */
function suggestion(given: string, options: Options): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j] as number;
        row[j] = Math.min(
          (row[j] as number) + 1,
          (row[j - 1] as number) + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length] as number;
  };
  const name = given.replace(/^-+/, "");
  let best: { name: string; d: number } | undefined;
  for (const candidate of Object.keys(options)) {
    const d = distance(name, candidate);
    if (d <= 2 && (best === undefined || d < best.d)) best = { name: candidate, d };
  }
  return best ? `--${best.name}` : undefined;
}

/** parseArgs, strict, with positionals; a mistake becomes a UsageError naming what was wrong. */
export function parseCommand<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    const message = (err as Error).message.split("\n")[0] ?? "";
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown?.[1]) {
      const near = suggestion(unknown[1], options);
      throw new UsageError(`unknown option ${unknown[1]}${near ? ` (did you mean ${near}?)` : ""}`);
    }
    throw new UsageError(message.replace(/\. To specify a positional.*$/, ""));
  }
}

/** A non-negative integer option, or undefined when absent. */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} expects a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** An RFC 3339 time option, as epoch ms. */
export function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} expects a time like 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`);
  return ms;
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v), 2)}\n`);
}

/** What a failure says in one line. */
export function failureText(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage || err.message;
  const message = (err as Error)?.message ?? String(err);
  // fetch / socket errors: say which address did not answer.
  return message.split("\n")[0] ?? message;
}

/**
 * Progress of long work: a bar redrawn in place on a terminal, one plain line per step
 * otherwise (logs and pipes keep every step).
 */
export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let done = 0;
  return {
    step(what: string) {
      done += 1;
      if (tty) {
        const width = 24;
        const filled = total > 0 ? Math.round((done / total) * width) : width;
        stream.write(
          `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${what}\x1b[K`,
        );
        if (done >= total) stream.write("\n");
      } else {
        stream.write(`${label} ${done}/${total}: ${what}\n`);
      }
    },
  };
}

/** Runs a subcommand body; help and usage problems print their text, failures one line. */
export async function runCommand(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message} (see ${name} --help)\n`);
      return 2;
    }
    process.stderr.write(`${name}: ${failureText(err)}\n`);
    return 1;
  }
}
