// `angzarr health [--addr URL] [--service NAME]`: asks a running coordinator (any role) for
// grpc.health.v1 Check on its TCP port and exits 0 when it answers SERVING, 1 otherwise, with
// one line of output. Kubernetes exec probes call it in the coordinator containers. With
// ANGZARR_ADMIN_TOKEN set (the admin role's container) the call carries it as a bearer token:
// an admin listener with a token answers nothing without it.
import { Health, HealthCheckRequestSchema } from "@angzarr/proto";
import { type ProbeResult, probeResult, runProbeCommand } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

export const HEALTH_USAGE = `usage: angzarr health [--addr URL] [--service NAME] [--timeout MS]

  --addr URL      the coordinator (default http://127.0.0.1:$ANGZARR_PORT, else port 1310)
  --service NAME  a service name to check (default "": the whole process)
  --timeout MS    give up after this many milliseconds (default 2000)
sends Authorization: Bearer $ANGZARR_ADMIN_TOKEN when that is set (an admin listener with a token)
exit 0 when it answers SERVING, 1 when it does not, 2 on bad usage
`;

async function probeTcp(
  addr: string,
  service: string,
  timeoutMs: number,
  token: string | undefined,
): Promise<ProbeResult> {
  const client = createClient(
    Health,
    createConnectTransport({ baseUrl: addr, httpVersion: "1.1", useBinaryFormat: true }),
  );
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  try {
    return probeResult(
      addr,
      await client.check(create(HealthCheckRequestSchema, { service }), {
        timeoutMs,
        ...(headers ? { headers } : {}),
      }),
    );
  } catch (error) {
    return probeResult(addr, { error });
  }
}

/** Returns the exit code; prints one line on stdout. */
export function health(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  out?: (line: string) => void,
): Promise<number> {
  return runProbeCommand(
    {
      name: "angzarr health",
      usage: HEALTH_USAGE,
      target: {
        option: "addr",
        fallback: `http://127.0.0.1:${env.ANGZARR_PORT || "1310"}`,
        missing: "--addr needs a URL",
        valid: (addr) => /^https?:\/\/[^/]+/.test(addr),
      },
      probe: (addr, service, timeoutMs) => probeTcp(addr, service, timeoutMs, env.ANGZARR_ADMIN_TOKEN),
    },
    args,
    out,
  );
}
