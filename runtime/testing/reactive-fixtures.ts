// Synthetic in-process handlers for the reactive path's integration tests: an echo aggregate, a
// relay saga and process managers shaped like the example domains' (dispatch once, deadlines).
// Every event and command carries a google.protobuf.StringValue; the text steers the handlers.
import {
  AnyPayload,
  type BusinessResponse,
  BusinessResponseSchema,
  type CommandBook,
  CommandBookSchema,
  CommandPageSchema,
  ComponentDescriptorSchema,
  type ContextualCommand,
  Covers,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  Identity,
  ProcessManagerHandleResponseSchema,
  ProcessManagerPrepareResponseSchema,
  ProcessTimeoutSchema,
  type RevocationResponse,
  RevocationResponseSchema,
  SagaPrepareResponseSchema,
  SagaResponseSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AggregateHandler, HandlerDirectory } from "../coordinator/ports";
import type { ProcessManagerHandler, SagaHandler } from "../coordinator/reactive-ports";

export const text = (value: string) =>
  AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value }));

/** The StringValue text of an event page ("" when it holds something else). */
export function textOf(page: EventPage | undefined): string {
  const any = page?.event;
  if (!any || TypeUrl.fullName(any.typeUrl) !== StringValueSchema.typeName) return "";
  return AnyPayload.unpack(any, StringValueSchema).value;
}

export function command(
  domain: string,
  root: Uint8Array,
  value: string,
  sequence: number,
  correlationId = "",
) {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain, root, correlationId }),
    pages: [create(CommandPageSchema, { sequence, command: text(value) })],
  });
}

/**
 * One event per command, echoing its text. Refuses texts starting with "reject" sent by a saga or a
 * PM (FAILED_PRECONDITION).
 * A RevokeEventCommand is answered with `revokeAnswer` (a RevocationResponse by default, or
 * compensating events when it is "events").
 */
export class EchoAggregate implements AggregateHandler {
  readonly calls: ContextualCommand[] = [];
  revokeAnswer: RevocationResponse | "events" = create(RevocationResponseSchema, {
    emitSystemRevocation: true,
    reason: "compensated",
  });

  constructor(readonly domain: string) {}

  async handle(req: ContextualCommand): Promise<BusinessResponse> {
    this.calls.push(req);
    const any = req.command?.pages[0]?.command;
    const last = req.events?.pages.at(-1);
    const next =
      last?.sequence.case === "num" ? last.sequence.value + 1 : (req.events?.snapshot?.sequence ?? -1) + 1;
    const reply = (value: ReturnType<typeof text>) =>
      create(BusinessResponseSchema, {
        result: {
          case: "events",
          value: create(EventBookSchema, {
            cover: req.command?.cover,
            pages: [create(EventPageSchema, { sequence: { case: "num", value: next }, event: value })],
          }),
        },
      });
    if (any?.typeUrl.endsWith("angzarr.RevokeEventCommand")) {
      if (this.revokeAnswer === "events") return reply(text("compensated"));
      return create(BusinessResponseSchema, { result: { case: "revocation", value: this.revokeAnswer } });
    }
    const value = AnyPayload.unpack(any, StringValueSchema).value;
    if (value.startsWith("reject") && req.command?.sagaOrigin)
      throw new ConnectError("Not allowed here", Code.FailedPrecondition);
    return reply(text(value));
  }

  async descriptor() {
    return create(ComponentDescriptorSchema, { name: this.domain, componentType: "aggregate" });
  }

  /** Commands (not revokes) this aggregate handled, by text. */
  texts(): string[] {
    return this.calls
      .map((c) => c.command?.pages[0]?.command)
      .filter((a) => a && !a.typeUrl.endsWith("angzarr.RevokeEventCommand"))
      .map((a) => AnyPayload.unpack(a, StringValueSchema).value);
  }
}

/** Echo aggregates by domain. */
export function echoDirectory(
  ...domains: string[]
): HandlerDirectory & { get(domain: string): EchoAggregate } {
  const map = new Map(domains.map((d) => [d, new EchoAggregate(d)]));
  return {
    aggregate: (d) => map.get(d),
    aggregateDomains: () => [...map.keys()],
    get: (d) => {
      const a = map.get(d);
      if (!a) throw new Error(`no aggregate ${d}`);
      return a;
    },
  };
}

/**
 * Relays every `from` event to `to` (same root) as a command with the same text. Texts steer it:
 * "none…" sends nothing, "two:X" sends "X-1" and "X-2", "fact:X" records X as a fact in `to`.
 */
/** The root of the `i`th command of a `fan:` flood from `source`. */
export function fannedRoot(source: Uint8Array, i: number): Uint8Array {
  const root = new Uint8Array(source);
  const view = new DataView(root.buffer, root.byteOffset, root.byteLength);
  view.setUint32(12, (view.getUint32(12) + i + 1) >>> 0);
  return root;
}

export function relaySaga(name: string, from: string, to: string): SagaHandler & { executed: number } {
  const saga = {
    name,
    input: { domain: from },
    executed: 0,
    /** A `fan:` flood asks for the history of each aggregate it will command (as a reservation would). */
    prepare: async (req: { source?: EventBook }) => {
      const root = req.source?.cover?.root?.value ?? new Uint8Array(16);
      const destinations = (req.source?.pages ?? []).flatMap((page) => {
        const n = Number(/^fan:(\d+)/.exec(textOf(page))?.[1] ?? 0);
        return Array.from({ length: n }, (_, i) => Covers.make({ domain: to, root: fannedRoot(root, i) }));
      });
      return create(SagaPrepareResponseSchema, { destinations });
    },
    execute: async (req: { source?: EventBook }) => {
      saga.executed++;
      const root = req.source?.cover?.root?.value ?? new Uint8Array(16);
      const commands: CommandBook[] = [];
      const events: EventBook[] = [];
      for (const page of req.source?.pages ?? []) {
        const value = textOf(page);
        if (value.startsWith("none")) continue;
        if (value.startsWith("fact:")) {
          events.push(
            create(EventBookSchema, {
              cover: Covers.make({ domain: to, root }),
              pages: [
                create(EventPageSchema, {
                  sequence: { case: "force", value: true },
                  event: text(value.slice(5)),
                }),
              ],
            }),
          );
          continue;
        }
        const fan = /^fan:(\d+)(:reject)?$/.exec(value);
        if (fan) {
          // A flood from one event: n commands, each to its own root (`fannedRoot`).
          for (let i = 0; i < Number(fan[1]); i++)
            commands.push(command(to, fannedRoot(root, i), `${fan[2] ? "reject" : "fanned"}-${i}`, 0));
          continue;
        }
        const values = value.startsWith("two:") ? [`${value.slice(4)}-1`, `${value.slice(4)}-2`] : [value];
        for (const v of values) commands.push(command(to, root, v, 0));
      }
      return create(SagaResponseSchema, { commands, events });
    },
    descriptor: async () => create(ComponentDescriptorSchema, { name, componentType: "saga" }),
  };
  return saga;
}

/**
 * A PM shaped like pmg-order-fulfillment: on its first trigger of a correlation it records
 * "dispatched" and sends "ship" to `target` at the PM's root; once dispatched it does nothing.
 */
export function shipOncePm(
  name: string,
  inputs: string[],
  stateDomain: string,
  target: string,
): ProcessManagerHandler {
  return {
    name,
    stateDomain,
    inputs: inputs.map((domain) => ({ domain })),
    prepare: async () => create(ProcessManagerPrepareResponseSchema, {}),
    handle: async (req) => {
      const state = req.processState?.pages ?? [];
      if (state.some((p) => textOf(p) === "dispatched"))
        return create(ProcessManagerHandleResponseSchema, {});
      const correlation = req.trigger?.cover?.correlationId ?? "";
      const root = Identity.processManagerRoot(correlation);
      return create(ProcessManagerHandleResponseSchema, {
        processEvents: create(EventBookSchema, {
          cover: Covers.make({ domain: stateDomain, root }),
          pages: [
            create(EventPageSchema, {
              sequence: { case: "num", value: state.length },
              event: text("dispatched"),
            }),
          ],
        }),
        commands: [command(target, root, "ship", 0)],
      });
    },
    descriptor: async () => create(ComponentDescriptorSchema, { name, componentType: "process_manager" }),
  };
}

/**
 * A PM that schedules a deadline `afterMs` ahead on its first trigger and, when it fires, records
 * "fired" and sends "timed-out" to `target` at the PM's root. `now` is the clock the deadline is
 * reckoned from (a test driving a manual timer passes that timer's clock).
 */
export function deadlinePm(
  name: string,
  input: string,
  stateDomain: string,
  target: string,
  afterMs: number,
  now: () => number = Date.now,
): ProcessManagerHandler {
  return {
    name,
    stateDomain,
    inputs: [{ domain: input }],
    prepare: async () => create(ProcessManagerPrepareResponseSchema, {}),
    handle: async (req) => {
      const state = req.processState?.pages ?? [];
      const correlation = req.trigger?.cover?.correlationId ?? "";
      const root = Identity.processManagerRoot(correlation);
      const cover = Covers.make({ domain: stateDomain, root });
      const timeout = req.trigger?.pages.find((p) => p.event?.typeUrl.endsWith("angzarr.ProcessTimeout"));
      if (timeout) {
        if (state.some((p) => textOf(p) === "fired")) return create(ProcessManagerHandleResponseSchema, {});
        return create(ProcessManagerHandleResponseSchema, {
          commands: [command(target, root, "timed-out", 0)],
          processEvents: create(EventBookSchema, {
            cover,
            pages: [
              create(EventPageSchema, {
                sequence: { case: "num", value: state.length },
                event: text("fired"),
              }),
            ],
          }),
        });
      }
      if (state.length > 0) return create(ProcessManagerHandleResponseSchema, {});
      return create(ProcessManagerHandleResponseSchema, {
        processEvents: create(EventBookSchema, {
          cover,
          pages: [
            create(EventPageSchema, {
              sequence: { case: "num", value: 0 },
              event: AnyPayload.pack(
                ProcessTimeoutSchema,
                create(ProcessTimeoutSchema, {
                  correlationId: correlation,
                  processType: stateDomain,
                  timeoutType: "deadline",
                  deadline: Timestamps.fromMillis(now() + afterMs),
                }),
              ),
            }),
          ],
        }),
      });
    },
    descriptor: async () => create(ComponentDescriptorSchema, { name, componentType: "process_manager" }),
  };
}

/** Whether a PM request's trigger is a delivered deadline. */
export function isTimeoutTrigger(args: unknown[]): boolean {
  const req = args[0] as { trigger?: EventBook } | undefined;
  return (req?.trigger?.pages ?? []).some((p) => p.event?.typeUrl.endsWith("angzarr.ProcessTimeout"));
}
