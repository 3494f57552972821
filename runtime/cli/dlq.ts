// `angzarr dlq list|replay`: the dead-letter queue of a running runtime, through its gateway.
import { parseArgs } from "node:util";
import {
  type DeadLetter,
  DeadLetterService,
  ListDeadLettersRequestSchema,
  ReplayDeadLetterRequestSchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

export const DLQ_USAGE = `usage: angzarr dlq list [--all] [--consumer NAME] [--gateway URL] [--json]
       angzarr dlq replay ID [--gateway URL]

  --gateway URL   the runtime's gateway (default http://127.0.0.1:1310, env ANGZARR_GATEWAY)
  --all           include entries already replayed
`;

function describe(e: DeadLetter): string {
  const root = e.root.length === 16 ? Uuid.toText(e.root) : "-";
  const state = e.replayedAt ? "replayed" : e.escalated ? "ESCALATED" : "parked";
  return `#${e.id} ${state} ${e.consumer} ${e.domain}/${root}@${e.sequence} corr=${e.correlationId || "-"}: ${e.reason}`;
}

/** Returns the exit code; output on stdout, problems on stderr. */
export async function dlq(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      gateway: { type: "string" },
      all: { type: "boolean" },
      consumer: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, id] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(DLQ_USAGE);
    return values.help ? 0 : 2;
  }
  const baseUrl = values.gateway ?? process.env.ANGZARR_GATEWAY ?? "http://127.0.0.1:1310";
  const client = createClient(
    DeadLetterService,
    createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  );
  try {
    if (action === "list") {
      const res = await client.list(
        create(ListDeadLettersRequestSchema, {
          includeReplayed: values.all ?? false,
          consumer: values.consumer ?? "",
        }),
      );
      if (values.json) {
        const rows = res.entries.map((e) => ({
          id: Number(e.id),
          consumer: e.consumer,
          domain: e.domain,
          root: e.root.length === 16 ? Uuid.toText(e.root) : "",
          sequence: e.sequence,
          correlationId: e.correlationId,
          reason: e.reason,
          escalated: e.escalated,
          replayed: e.replayedAt !== undefined,
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        for (const e of res.entries) process.stdout.write(`${describe(e)}\n`);
        process.stdout.write(`${res.entries.length} entr${res.entries.length === 1 ? "y" : "ies"}\n`);
      }
      return 0;
    }
    if (action === "replay") {
      if (id === undefined || !/^\d+$/.test(id)) {
        process.stderr.write(`angzarr dlq replay: expected an entry id\n\n${DLQ_USAGE}`);
        return 2;
      }
      const res = await client.replay(create(ReplayDeadLetterRequestSchema, { id: BigInt(id) }));
      process.stdout.write(`${res.entry ? describe(res.entry) : `#${id} replayed`}\n`);
      return 0;
    }
    process.stderr.write(`angzarr dlq: unknown action ${action}\n\n${DLQ_USAGE}`);
    return 2;
  } catch (err) {
    const message = err instanceof ConnectError ? err.rawMessage : (err as Error).message;
    process.stderr.write(`angzarr dlq ${action}: ${message}\n`);
    return 1;
  }
}
