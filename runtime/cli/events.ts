// `angzarr events`: an aggregate's history (or a workflow's, by correlation id) decoded to JSON
// with the type registry, through the admin listener's EventQuery; `--follow` keeps printing new events.
import {
  type EventBook,
  EventPages,
  EventQuery,
  type Query,
  QuerySchema,
  TemporalQuerySchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { decodeAny } from "../../console/src/registry";
import { adminTransport } from "./admin-transport";
import { ADMIN_OPTION_HELP, intOption, parseCommand, print, timeOption, UsageError } from "./common";

export const EVENTS_USAGE = `usage: angzarr events DOMAIN ROOT [--from N] [--to N] [--as-of TIME] [--edition NAME] [--follow] [--json]
       angzarr events --correlation ID [--domain DOMAIN] [--edition NAME] [--follow] [--json]

  An aggregate's events (or every event of one workflow), each payload decoded with the type
  registry. One line per event: sequence, time, type, payload as JSON; --json prints one JSON
  object per line instead (sequence, createdAt, type, payload, domain, root).
  --from N         only events with sequence >= N
  --to N           only events with sequence <= N (with --from: the inclusive range)
  --as-of TIME     the history as it was at TIME (RFC 3339), events created at or before it
  --edition NAME   read an edition's timeline instead of main
  --correlation ID every event carrying this correlation id, across aggregates
  --follow         keep running and print new events as they are stored (Ctrl-C ends)
  --interval MS    how often --follow asks (default 500)
${ADMIN_OPTION_HELP}
`;

interface Row {
  domain: string;
  root: string;
  edition: string;
  sequence: number;
  createdAt: string;
  type: string;
  payload: unknown;
}

function rows(book: EventBook): Row[] {
  const cover = book.cover;
  return book.pages.map((page) => {
    const { type, json } = decodeAny(page.event);
    return {
      domain: cover?.domain ?? "",
      root: cover?.root?.value.length === 16 ? Uuid.toText(cover.root.value) : "",
      edition: cover?.edition?.name ?? "",
      sequence: EventPages.sequence(page) ?? -1,
      createdAt: page.createdAt ? timestampDate(page.createdAt).toISOString() : "",
      type,
      payload: json,
    };
  });
}

export async function events(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    "as-of": { type: "string" },
    edition: { type: "string" },
    correlation: { type: "string" },
    domain: { type: "string" },
    follow: { type: "boolean" },
    interval: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(EVENTS_USAGE);
    return 0;
  }
  const from = intOption("from", values.from);
  const to = intOption("to", values.to);
  const asOf = timeOption("as-of", values["as-of"]);
  const interval = intOption("interval", values.interval) ?? 500;
  const correlation = values.correlation;
  const [domainArg, rootArg, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  const edition = values.edition ? { name: values.edition, divergences: [] } : undefined;
  let query: Query;
  if (correlation !== undefined) {
    if (rootArg !== undefined) throw new UsageError("give either DOMAIN ROOT or --correlation ID");
    query = create(QuerySchema, {
      cover: {
        domain: values.domain ?? domainArg ?? "",
        correlationId: correlation,
        ...(edition ? { edition } : {}),
      },
    });
  } else {
    if (domainArg === undefined || rootArg === undefined)
      throw new UsageError("expected DOMAIN and ROOT (or --correlation ID)");
    let root: Uint8Array;
    try {
      root = Uuid.fromText(rootArg);
    } catch {
      throw new UsageError(`ROOT must be a UUID, got ${JSON.stringify(rootArg)}`);
    }
    if (asOf !== undefined && (from !== undefined || to !== undefined))
      throw new UsageError("--as-of cannot be combined with --from/--to");
    query = create(QuerySchema, {
      cover: { domain: domainArg, root: { value: root }, ...(edition ? { edition } : {}) },
      ...(asOf !== undefined
        ? {
            selection: {
              case: "temporal",
              value: create(TemporalQuerySchema, {
                pointInTime: { case: "asOfTime", value: timestampFromMs(asOf) },
              }),
            },
          }
        : from !== undefined || to !== undefined
          ? {
              selection: {
                case: "range",
                value: { lower: from ?? 0, ...(to !== undefined ? { upper: to } : {}) },
              },
            }
          : {}),
    });
  }
  const client = createClient(EventQuery, adminTransport(values.admin));
  const seen = new Set<string>();
  const emit = (row: Row) => {
    const key = `${row.domain}/${row.edition}/${row.root}/${row.sequence}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (values.json) print(JSON.stringify(row));
    else {
      const where = correlation !== undefined ? `${row.domain}/${row.root} ` : "";
      print(`${where}#${row.sequence} ${row.createdAt} ${row.type} ${JSON.stringify(row.payload)}`);
    }
  };
  const readOnce = async (): Promise<number> => {
    let count = 0;
    for await (const book of client.getEvents(query)) {
      for (const row of rows(book)) {
        if (to !== undefined && correlation === undefined && row.sequence > to) continue;
        emit(row);
        count += 1;
      }
    }
    return count;
  };
  const total = await readOnce();
  if (!values.follow) {
    if (!values.json && total === 0) process.stderr.write("no events\n");
    return 0;
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  while (!stopped) {
    await Bun.sleep(interval);
    if (!stopped) await readOnce();
  }
  return 0;
}
