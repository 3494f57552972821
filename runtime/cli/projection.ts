// `angzarr projection rebuild NAME`: reset an async projection's checkpoint and replay, through
// the gateway of a running runtime.
import { parseArgs } from "node:util";
import { ProjectionService, RebuildProjectionRequestSchema } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

export const PROJECTION_USAGE = `usage: angzarr projection rebuild NAME [--gateway URL]

  Resets the projector's checkpoint and replays its input domain from the start. The example
  projectors skip pages they already hold: delete the read-model file first to rebuild from nothing.
  --gateway URL   the runtime's gateway (default http://127.0.0.1:1310, env ANGZARR_GATEWAY)
`;

export async function projection(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { gateway: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [action, name] = positionals;
  if (values.help) {
    process.stdout.write(PROJECTION_USAGE);
    return 0;
  }
  if (action !== "rebuild" || name === undefined) {
    process.stderr.write(PROJECTION_USAGE);
    return 2;
  }
  const baseUrl = values.gateway ?? process.env.ANGZARR_GATEWAY ?? "http://127.0.0.1:1310";
  const client = createClient(
    ProjectionService,
    createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  );
  try {
    const res = await client.rebuild(create(RebuildProjectionRequestSchema, { projector: name }));
    process.stdout.write(`${res.projector}: rebuilt, ${res.replayedEvents} events replayed\n`);
    return 0;
  } catch (err) {
    const message = err instanceof ConnectError ? err.rawMessage : (err as Error).message;
    process.stderr.write(`angzarr projection rebuild: ${message}\n`);
    return 1;
  }
}
