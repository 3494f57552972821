// `<program> health [--socket PATH]`: asks a running domain program, over its own socket, for
// grpc.health.v1 Check and exits 0 when it answers SERVING, 1 otherwise, with one line of
// output and no stack trace. Kubernetes exec probes call it (the kubelet cannot probe a Unix
// socket itself). `runProbeCommand` is shared with the coordinator's `angzarr health`.
import { parseArgs } from "node:util";
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { UnixSocketClient, unary } from "./rpc/client";

export const HEALTH_USAGE = `usage: <program> health [--socket PATH] [--service NAME] [--timeout MS]

  --socket PATH   the program's socket (default: ANGZARR_SOCKET)
  --service NAME  a service name to check (default "": the whole program)
  --timeout MS    give up after this many milliseconds (default 2000)
exit 0 when the program answers SERVING, 1 when it does not, 2 on bad usage
`;

export interface ProbeResult {
  ok: boolean;
  /** One line for a person: `SERVING <address>` or what went wrong. */
  line: string;
}

/** The one line of a Check answer or failure. */
export function probeResult(address: string, outcome: { status: number } | { error: unknown }): ProbeResult {
  if ("error" in outcome) {
    const message = ((outcome.error as Error)?.message ?? String(outcome.error)).split("\n")[0];
    return { ok: false, line: `NOT_SERVING ${address}: ${message}` };
  }
  const name = HealthCheckResponse_ServingStatus[outcome.status] ?? String(outcome.status);
  return { ok: outcome.status === HealthCheckResponse_ServingStatus.SERVING, line: `${name} ${address}` };
}

/** One grpc.health.v1 Check over the socket. Never throws. */
export async function probeSocket(socketPath: string, service = "", timeoutMs = 2_000): Promise<ProbeResult> {
  const client = new UnixSocketClient(socketPath, "health");
  try {
    const res = await unary(client, Health.method.check, create(HealthCheckRequestSchema, { service }), {
      timeoutMs,
    });
    return probeResult(client.address, res);
  } catch (error) {
    return probeResult(client.address, { error });
  } finally {
    client.close();
  }
}

export interface ProbeCommand {
  /** Prefix of error lines (`health`, `angzarr health`). */
  name: string;
  usage: string;
  /** The option naming what to probe (`socket`, `addr`) and its value when absent. */
  target: { option: string; fallback: string | undefined; missing: string; valid?: (t: string) => boolean };
  probe(target: string, service: string, timeoutMs: number): Promise<ProbeResult>;
}

/** Parses `--<target> X --service NAME --timeout MS`, probes, prints one line; returns the exit code. */
export async function runProbeCommand(
  command: ProbeCommand,
  args: string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        [command.target.option]: { type: "string" },
        service: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    out(`${command.name}: ${(err as Error).message.split("\n")[0]}`);
    return 2;
  }
  if (values.help) {
    out(command.usage.trimEnd());
    return 0;
  }
  const given = values[command.target.option];
  const target = typeof given === "string" ? given : command.target.fallback;
  if (!target) {
    out(`${command.name}: ${command.target.missing}`);
    return 2;
  }
  if (command.target.valid && !command.target.valid(target)) {
    out(`${command.name}: --${command.target.option}: not valid: ${JSON.stringify(target)}`);
    return 2;
  }
  const timeout = values.timeout;
  const timeoutMs = typeof timeout === "string" ? Number(timeout) : 2_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    out(
      `${command.name}: --timeout expects a positive integer (milliseconds), got ${JSON.stringify(timeout)}`,
    );
    return 2;
  }
  const service = typeof values.service === "string" ? values.service : "";
  const result = await command.probe(target, service, timeoutMs);
  out(result.line);
  return result.ok ? 0 : 1;
}

/** The `health` subcommand of every domain program (see serve()). */
export function healthCommand(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  out?: (line: string) => void,
): Promise<number> {
  return runProbeCommand(
    {
      name: "health",
      usage: HEALTH_USAGE,
      target: {
        option: "socket",
        fallback: env.ANGZARR_SOCKET || undefined,
        missing: "no socket: pass --socket PATH or set ANGZARR_SOCKET",
      },
      probe: probeSocket,
    },
    args,
    out,
  );
}
