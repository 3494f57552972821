// `angzarr projection status|rebuild`: where every async consumer stands (checkpoints and lag),
// and rebuilding a projector's read model, through the admin listener of a running runtime.
import {
  ListCheckpointsRequestSchema,
  ProjectionService,
  RebuildProjectionRequestSchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { adminTransport } from "./admin-transport";
import { ADMIN_OPTION_HELP, parseCommand, print, printJson, UsageError } from "./common";

export const PROJECTION_USAGE = `usage: angzarr projection status [--consumer NAME] [--json]
       angzarr projection rebuild NAME

  status    every async consumer (projectors, sagas, process managers) per input domain and
            edition: its checkpoint (global log position) and how many events it has still to take
  rebuild   resets the projector's checkpoint and replays its input domain from the start. The
            example projectors skip pages they already hold: delete the read-model file first to
            rebuild from nothing.
${ADMIN_OPTION_HELP}
`;

export async function projection(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    consumer: { type: "string" },
    json: { type: "boolean" },
  });
  const [action, name, extra] = positionals;
  if (values.help) {
    process.stdout.write(PROJECTION_USAGE);
    return 0;
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  const client = createClient(ProjectionService, adminTransport(values.admin));
  if (action === "status") {
    if (name !== undefined) throw new UsageError(`unexpected argument ${name}`);
    const res = await client.listCheckpoints(
      create(ListCheckpointsRequestSchema, { consumer: values.consumer ?? "" }),
    );
    const rows = res.checkpoints.map((c) => ({
      consumer: c.consumer,
      kind: c.kind,
      domain: c.domain,
      edition: c.edition,
      position: Number(c.position),
      pending: Number(c.pending),
      pendingCapped: c.pendingCapped,
    }));
    if (values.json) {
      printJson({ headPosition: Number(res.headPosition), checkpoints: rows });
      return 0;
    }
    for (const r of rows) {
      const lag = r.pending === 0 ? "caught up" : `${r.pending}${r.pendingCapped ? "+" : ""} pending`;
      print(
        `${r.consumer} (${r.kind}) ${r.domain}${r.edition ? `@${r.edition}` : ""}: position ${r.position}, ${lag}`,
      );
    }
    print(`head position ${res.headPosition}, ${rows.length} checkpoint${rows.length === 1 ? "" : "s"}`);
    return 0;
  }
  if (action === "rebuild") {
    if (name === undefined) throw new UsageError("projection rebuild needs a projector NAME");
    if (process.stderr.isTTY) process.stderr.write(`rebuilding ${name} ...\n`);
    const res = await client.rebuild(create(RebuildProjectionRequestSchema, { projector: name }));
    print(`${res.projector}: rebuilt, ${res.replayedEvents} events replayed`);
    return 0;
  }
  throw new UsageError(action === undefined ? "expected status or rebuild" : `unknown action ${action}`);
}
