// `angzarr speculate`: what-if runs on a running runtime, nothing persisted or published. A
// command dry-run against an aggregate's history (now or as of a point), or a saga, process
// manager or projector run on the stored books of one aggregate.
import {
  AnyPayload,
  CommandBooks,
  CommandResponseSchema,
  Covers,
  DryRunRequestSchema,
  EventBookSchema,
  EventQuery,
  ProcessManagerHandleResponseSchema,
  ProjectionSchema,
  QuerySchema,
  SagaResponseSchema,
  SpeculatePmRequestSchema,
  SpeculateProjectorRequestSchema,
  SpeculateSagaRequestSchema,
  SpeculativeService,
  type TemporalQuery,
  TemporalQuerySchema,
  Uuid,
} from "@angzarr/proto";
import { create, type DescMessage, fromJson, type JsonValue, type Message } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { messageJson, registry } from "../../console/src/registry";
import { adminTransport } from "./admin-transport";
import { ADMIN_OPTION_HELP, intOption, parseCommand, print, timeOption, UsageError } from "./common";

export const SPECULATE_USAGE = `usage: angzarr speculate command DOMAIN ROOT TYPE JSON [--sequence N] [--as-of TIME | --as-of-sequence N]
       angzarr speculate saga NAME DOMAIN ROOT [--as-of TIME | --as-of-sequence N]
       angzarr speculate pm NAME DOMAIN ROOT --correlation ID [--as-of ...]
       angzarr speculate projector NAME DOMAIN ROOT [--as-of ...]

  Nothing is persisted, published or checkpointed; the answer is printed as JSON.
  command     dry-runs a command (TYPE: full message name, JSON: its payload in protobuf JSON) on
              the aggregate's history; --sequence defaults to the history's next sequence
  saga        runs the saga NAME on the stored events of DOMAIN/ROOT: the commands it would send
  pm          runs the process manager NAME with DOMAIN/ROOT's events of workflow ID as trigger
  projector   runs the projector NAME on DOMAIN/ROOT's events: the projection it would write
  --as-of TIME / --as-of-sequence N   use the history as it was then
${ADMIN_OPTION_HELP}
`;

function rootOf(text: string | undefined): Uint8Array {
  if (text === undefined) throw new UsageError("expected DOMAIN ROOT");
  try {
    return Uuid.fromText(text);
  } catch {
    throw new UsageError(`ROOT must be a UUID, got ${JSON.stringify(text)}`);
  }
}

function show<D extends DescMessage>(schema: D, message: Message): void {
  print(JSON.stringify(messageJson(schema, message), null, 2));
}

export async function speculate(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    admin: { type: "string" },
    sequence: { type: "string" },
    "as-of": { type: "string" },
    "as-of-sequence": { type: "string" },
    correlation: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(SPECULATE_USAGE);
    return 0;
  }
  const asOfTime = timeOption("as-of", values["as-of"]);
  const asOfSeq = intOption("as-of-sequence", values["as-of-sequence"]);
  if (asOfTime !== undefined && asOfSeq !== undefined)
    throw new UsageError("give --as-of or --as-of-sequence, not both");
  const asOf: TemporalQuery | undefined =
    asOfSeq !== undefined
      ? create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: asOfSeq } })
      : asOfTime !== undefined
        ? create(TemporalQuerySchema, { pointInTime: { case: "asOfTime", value: timestampFromMs(asOfTime) } })
        : undefined;
  const transport = adminTransport(values.admin);
  const client = createClient(SpeculativeService, transport);
  const [kind, ...rest] = positionals;
  if (kind === "command") {
    const [domain, rootText, type, json, extra] = rest;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    if (domain === undefined || type === undefined || json === undefined)
      throw new UsageError("speculate command needs DOMAIN ROOT TYPE JSON");
    const root = rootOf(rootText);
    const schema = registry.getMessage(type);
    if (!schema) throw new UsageError(`unknown message type ${type} (not in the type registry)`);
    let payload: Message;
    try {
      payload = fromJson(schema, JSON.parse(json) as JsonValue, { registry });
    } catch (err) {
      throw new UsageError(`JSON is not a ${type}: ${(err as Error).message}`);
    }
    const point =
      asOf ??
      create(TemporalQuerySchema, { pointInTime: { case: "asOfTime", value: timestampFromMs(Date.now()) } });
    let sequence = intOption("sequence", values.sequence);
    if (sequence === undefined) {
      const history = await createClient(EventQuery, transport).getEventBook(
        create(QuerySchema, {
          cover: { domain, root: { value: root } },
          selection: { case: "temporal", value: point },
        }),
      );
      const last = history.pages.at(-1);
      sequence =
        last?.sequence.case === "num"
          ? last.sequence.value + 1
          : history.snapshot
            ? history.snapshot.sequence + 1
            : 0;
    }
    const command = CommandBooks.make(
      Covers.make({ domain, root }),
      AnyPayload.pack(schema, payload),
      sequence,
    );
    const res = await client.dryRunCommand(create(DryRunRequestSchema, { command, pointInTime: point }));
    show(CommandResponseSchema, res);
    return 0;
  }
  if (kind === "saga" || kind === "pm" || kind === "projector") {
    const [name, domain, rootText, extra] = rest;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    if (name === undefined || domain === undefined)
      throw new UsageError(`speculate ${kind} needs NAME DOMAIN ROOT`);
    // A cover without pages: the runtime reads the stored book itself.
    const book = create(EventBookSchema, {
      cover: Covers.make({ domain, root: rootOf(rootText), correlationId: values.correlation ?? "" }),
    });
    const when = asOf ? { asOf } : {};
    if (kind === "saga")
      show(
        SagaResponseSchema,
        await client.speculateSaga(
          create(SpeculateSagaRequestSchema, { sagaName: name, source: book, ...when }),
        ),
      );
    else if (kind === "pm")
      show(
        ProcessManagerHandleResponseSchema,
        await client.speculateProcessManager(
          create(SpeculatePmRequestSchema, { pmName: name, trigger: book, ...when }),
        ),
      );
    else
      show(
        ProjectionSchema,
        await client.speculateProjector(
          create(SpeculateProjectorRequestSchema, { projectorName: name, events: book, ...when }),
        ),
      );
    return 0;
  }
  throw new UsageError(
    kind === undefined ? "expected command, saga, pm or projector" : `unknown kind ${kind}`,
  );
}
