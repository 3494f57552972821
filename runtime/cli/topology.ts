// `angzarr topology`: the components of a running runtime and the flows seen between them, as
// text (default) or as the admin listener's JSON (`--json`), read from its `GET /topology`.
import { renderTopology, type TopologyMap } from "../services/topology-map";
import { DEFAULT_ADMIN_URL } from "./admin-transport";
import { ADMIN_OPTION_HELP, OperationError, parseCommand, UsageError } from "./common";

export const TOPOLOGY_USAGE = `usage: angzarr topology [--json]

  Every component (aggregates, sagas, process managers, projectors) with the events it holds or
  takes and the last event's type, then every flow seen: events of one domain that made a saga or
  process manager write into another, with the correlation id it was first seen with.
  --json          print the runtime's JSON ({"nodes": [...], "edges": [...]}) as it is
${ADMIN_OPTION_HELP}
`;

export async function topology(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(TOPOLOGY_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const given = values.admin ?? process.env.ANGZARR_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  const token = process.env.ANGZARR_ADMIN_TOKEN;
  let response: Response;
  try {
    response = await fetch(new URL("/topology", base), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  } catch (err) {
    throw new OperationError(`${base} unreachable: ${(err as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) throw new OperationError(`HTTP ${response.status}: ${body}`);
  process.stdout.write(values.json ? `${body}\n` : `${renderTopology(JSON.parse(body) as TopologyMap)}\n`);
  return 0;
}
