// `angzarr topology`: the components of a running runtime and the flows seen between them, as
// text (default) or as the gateway's JSON (`--json`), read from its `GET /topology`.
import { parseArgs } from "node:util";
import { renderTopology, type TopologyMap } from "../services/topology-map";

export const TOPOLOGY_USAGE = `usage: angzarr topology [--gateway URL] [--json]

  Every component (aggregates, sagas, process managers, projectors) with the events it holds or
  takes and the last event's type, then every flow seen: events of one domain that made a saga or
  process manager write into another, with the correlation id it was first seen with.
  --gateway URL   the runtime's gateway (default http://127.0.0.1:1310, env ANGZARR_GATEWAY)
  --json          print the gateway's JSON ({"nodes": [...], "edges": [...]}) as it is
`;

export async function topology(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      gateway: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(TOPOLOGY_USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(TOPOLOGY_USAGE);
    return 2;
  }
  const base = values.gateway ?? process.env.ANGZARR_GATEWAY ?? "http://127.0.0.1:1310";
  let response: Response;
  try {
    response = await fetch(new URL("/topology", base));
  } catch (err) {
    process.stderr.write(`angzarr topology: ${base} unreachable: ${(err as Error).message}\n`);
    return 1;
  }
  const body = await response.text();
  if (!response.ok) {
    process.stderr.write(`angzarr topology: HTTP ${response.status}: ${body}\n`);
    return 1;
  }
  process.stdout.write(values.json ? `${body}\n` : `${renderTopology(JSON.parse(body) as TopologyMap)}\n`);
  return 0;
}
