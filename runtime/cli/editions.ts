// `angzarr editions list|create|delete`: the editions (what-if timelines) of a running runtime.
import {
  CreateEditionRequestSchema,
  DeleteEditionRequestSchema,
  EditionService,
  ListEditionsRequestSchema,
  type TemporalQuery,
  TemporalQuerySchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { adminTransport } from "./admin-transport";
import {
  ADMIN_OPTION_HELP,
  intOption,
  parseCommand,
  print,
  printJson,
  timeOption,
  UsageError,
} from "./common";

export const EDITIONS_USAGE = `usage: angzarr editions list [--json]
       angzarr editions create NAME [--at-sequence N | --at-time TIME] [--domain-at DOMAIN=N ...] [--description TEXT]
       angzarr editions delete NAME

  list     every edition with where it branches off and how many events it holds per domain
  create   a new edition branching off main at a sequence or a time (default: now)
           --domain-at DOMAIN=N  branch one domain at its own sequence (repeatable)
  delete   removes the edition and every event written into it
${ADMIN_OPTION_HELP}
`;

function point(query: TemporalQuery | undefined): string {
  const p = query?.pointInTime;
  if (p?.case === "asOfSequence") return `sequence ${p.value}`;
  if (p?.case === "asOfTime") return timestampDate(p.value).toISOString();
  return "-";
}

export async function editions(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    json: { type: "boolean" },
    "at-sequence": { type: "string" },
    "at-time": { type: "string" },
    "domain-at": { type: "string", multiple: true },
    description: { type: "string" },
  });
  const [action, name, extra] = positionals;
  if (values.help) {
    process.stdout.write(EDITIONS_USAGE);
    return 0;
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  const client = createClient(EditionService, adminTransport(values.admin));
  if (action === "list") {
    const { editions: list } = await client.listEditions(create(ListEditionsRequestSchema));
    if (values.json) {
      printJson(
        list.map((e) => ({
          name: e.name,
          createdAt: e.createdAt,
          description: e.description,
          divergence: point(e.divergencePoint),
          domainDivergences: Object.fromEntries(
            Object.entries(e.domainDivergences).map(([d, q]) => [d, point(q)]),
          ),
          eventCounts: e.eventCounts,
        })),
      );
      return 0;
    }
    for (const e of list) {
      const counts = Object.entries(e.eventCounts)
        .map(([d, n]) => `${d}=${n}`)
        .join(" ");
      print(
        `${e.name}  created ${e.createdAt}  from ${point(e.divergencePoint)}  events ${counts || "none"}${e.description ? `  "${e.description}"` : ""}`,
      );
    }
    print(`${list.length} edition${list.length === 1 ? "" : "s"}`);
    return 0;
  }
  if (action === "create") {
    if (name === undefined) throw new UsageError("editions create needs a NAME");
    const seq = intOption("at-sequence", values["at-sequence"]);
    const time = timeOption("at-time", values["at-time"]);
    if (seq !== undefined && time !== undefined)
      throw new UsageError("give --at-sequence or --at-time, not both");
    const divergencePoint = create(TemporalQuerySchema, {
      pointInTime:
        seq !== undefined
          ? { case: "asOfSequence", value: seq }
          : { case: "asOfTime", value: timestampFromMs(time ?? Date.now()) },
    });
    const domainDivergences: Record<string, TemporalQuery> = {};
    for (const entry of values["domain-at"] ?? []) {
      const m = /^([^=]+)=(\d+)$/.exec(entry);
      if (!m?.[1] || !m[2])
        throw new UsageError(`--domain-at expects DOMAIN=N, got ${JSON.stringify(entry)}`);
      domainDivergences[m[1]] = create(TemporalQuerySchema, {
        pointInTime: { case: "asOfSequence", value: Number(m[2]) },
      });
    }
    const res = await client.createEdition(
      create(CreateEditionRequestSchema, {
        name,
        divergencePoint,
        description: values.description ?? "",
        domainDivergences,
      }),
    );
    print(`created edition ${res.name} at ${res.createdAt}`);
    return 0;
  }
  if (action === "delete") {
    if (name === undefined) throw new UsageError("editions delete needs a NAME");
    await client.deleteEdition(create(DeleteEditionRequestSchema, { name }));
    print(`deleted edition ${name}`);
    return 0;
  }
  throw new UsageError(action === undefined ? "expected list, create or delete" : `unknown action ${action}`);
}
