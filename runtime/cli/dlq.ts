// `angzarr dlq list|show|replay|discard`: the dead-letter queue of a running runtime, through its
// admin listener. `replay` takes several ids (or --all) and shows progress.
import {
  CommandBookSchema,
  type DeadLetter,
  DeadLetterService,
  DiscardDeadLetterRequestSchema,
  EventBookSchema,
  ListDeadLettersRequestSchema,
  ReplayDeadLetterRequestSchema,
  Uuid,
} from "@angzarr/proto";
import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { messageJson } from "../../console/src/registry";
import { adminTransport } from "./admin-transport";
import {
  ADMIN_OPTION_HELP,
  OperationError,
  parseCommand,
  print,
  printJson,
  progress,
  UsageError,
} from "./common";

export const DLQ_USAGE = `usage: angzarr dlq list [--all] [--consumer NAME] [--json]
       angzarr dlq show ID [--json]
       angzarr dlq replay ID... | --all-parked [--consumer NAME]
       angzarr dlq discard ID

  list      parked cases (with --all: also the ones already replayed)
  show      one case in full, its payload (the event or command book) decoded
  replay    hands each case back to its consumer; progress on a terminal, one line each otherwise
            --all-parked replays every parked case (of --consumer NAME only, when given)
  discard   removes a case without replaying it
${ADMIN_OPTION_HELP}
`;

function describe(e: DeadLetter): string {
  const root = e.root.length === 16 ? Uuid.toText(e.root) : "-";
  const state = e.replayedAt ? "replayed" : e.escalated ? "ESCALATED" : "parked";
  return `#${e.id} ${state} ${e.consumer} ${e.domain}/${root}@${e.sequence} corr=${e.correlationId || "-"}: ${e.reason}`;
}

function row(e: DeadLetter) {
  return {
    id: Number(e.id),
    consumer: e.consumer,
    domain: e.domain,
    edition: e.edition,
    root: e.root.length === 16 ? Uuid.toText(e.root) : "",
    sequence: e.sequence,
    correlationId: e.correlationId,
    reason: e.reason,
    escalated: e.escalated,
    replayed: e.replayedAt !== undefined,
    createdAt: e.createdAt ? timestampDate(e.createdAt).toISOString() : "",
  };
}

function payload(e: DeadLetter): unknown {
  try {
    if (e.payloadType.endsWith("EventBook"))
      return messageJson(EventBookSchema, fromBinary(EventBookSchema, e.payload));
    if (e.payloadType.endsWith("CommandBook"))
      return messageJson(CommandBookSchema, fromBinary(CommandBookSchema, e.payload));
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
  return { type: e.payloadType, bytes: e.payload.length };
}

function entryId(text: string | undefined): bigint {
  if (text === undefined || !/^\d+$/.test(text))
    throw new UsageError(`expected an entry id, got ${text ?? "nothing"}`);
  return BigInt(text);
}

export async function dlq(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    all: { type: "boolean" },
    "all-parked": { type: "boolean" },
    consumer: { type: "string" },
    json: { type: "boolean" },
  });
  const [action, ...ids] = positionals;
  if (values.help) {
    process.stdout.write(DLQ_USAGE);
    return 0;
  }
  const client = createClient(DeadLetterService, adminTransport(values.admin));
  const list = async (includeReplayed: boolean) =>
    (
      await client.list(
        create(ListDeadLettersRequestSchema, { includeReplayed, consumer: values.consumer ?? "" }),
      )
    ).entries;
  if (action === "list") {
    if (ids.length > 0) throw new UsageError(`unexpected argument ${ids[0]}`);
    const entries = await list(values.all ?? false);
    if (values.json) printJson(entries.map(row));
    else {
      for (const e of entries) print(describe(e));
      print(`${entries.length} entr${entries.length === 1 ? "y" : "ies"}`);
    }
    return 0;
  }
  if (action === "show") {
    if (ids.length !== 1) throw new UsageError("dlq show takes one entry id");
    const id = entryId(ids[0]);
    const entry = (await list(true)).find((e) => e.id === id);
    if (!entry) throw new OperationError(`no dead letter #${id}`);
    const shown = { ...row(entry), payloadType: entry.payloadType, payload: payload(entry) };
    if (values.json) printJson(shown);
    else {
      print(describe(entry));
      print(
        `created ${shown.createdAt}${entry.replayedAt ? `, replayed ${timestampDate(entry.replayedAt).toISOString()}` : ""}`,
      );
      print(`${entry.payloadType}:`);
      print(JSON.stringify(shown.payload, null, 2));
    }
    return 0;
  }
  if (action === "replay") {
    let targets: bigint[];
    if (values["all-parked"]) {
      if (ids.length > 0) throw new UsageError("give ids or --all-parked, not both");
      targets = (await list(false)).map((e) => e.id);
    } else {
      if (ids.length === 0) throw new UsageError("dlq replay needs entry ids (or --all-parked)");
      targets = ids.map(entryId);
    }
    const bar = progress("replaying", targets.length);
    let failed = 0;
    for (const id of targets) {
      try {
        const res = await client.replay(create(ReplayDeadLetterRequestSchema, { id }));
        bar.step(res.entry ? describe(res.entry) : `#${id} replayed`);
      } catch (err) {
        failed += 1;
        bar.step(`#${id} FAILED: ${(err as Error).message}`);
      }
    }
    print(`${targets.length - failed} replayed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  }
  if (action === "discard") {
    if (ids.length !== 1) throw new UsageError("dlq discard takes one entry id");
    const res = await client.discard(create(DiscardDeadLetterRequestSchema, { id: entryId(ids[0]) }));
    print(`discarded ${res.entry ? describe(res.entry) : `#${ids[0]}`}`);
    return 0;
  }
  throw new UsageError(
    action === undefined ? "expected list, show, replay or discard" : `unknown action ${action}`,
  );
}
