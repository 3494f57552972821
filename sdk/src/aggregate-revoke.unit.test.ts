// A saga's compensation (RevokeEventCommand) against an aggregate without its own `revoke`: the
// default revocation does not look at the state, so the prior history is not folded, on the
// general path and on the encoded one. An aggregate with `revoke` still gets its state.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  EventPages,
  RevocationResponseSchema,
  RevokeEventCommandSchema,
  Uuid,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema, UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { defineAggregate, forState } from "./aggregate";

function counted(withRevoke: boolean) {
  const folds = { count: 0 };
  const { on } = forState(StringValueSchema);
  const aggregate = defineAggregate({
    domain: "orders",
    state: StringValueSchema,
    events: [
      on(UInt32ValueSchema, (s, e) => {
        folds.count++;
        s.value += `${e.value},`;
      }),
    ],
    commands: [],
    ...(withRevoke
      ? {
          revoke: (_r: unknown, state: { value: string }) =>
            create(RevocationResponseSchema, { reason: `seen ${state.value}` }),
        }
      : {}),
  });
  return { aggregate, folds };
}

function revokeRequest(pages: number) {
  const cover = Covers.make({ domain: "orders", root: Uuid.randomBytes() });
  const revoke = create(RevokeEventCommandSchema, { sagaName: "saga-x", rejectionReason: "no stock" });
  return create(ContextualCommandSchema, {
    events: create(EventBookSchema, {
      cover,
      pages: Array.from({ length: pages }, (_, i) =>
        EventPages.numbered(i, AnyPayload.pack(UInt32ValueSchema, create(UInt32ValueSchema, { value: i }))),
      ),
    }),
    command: create(CommandBookSchema, {
      cover,
      pages: [create(CommandPageSchema, { command: AnyPayload.pack(RevokeEventCommandSchema, revoke) })],
    }),
  });
}

describe("a RevokeEventCommand", () => {
  test("without the aggregate's own revoke: answered with the default revocation, the history not folded", () => {
    const { aggregate, folds } = counted(false);
    const request = revokeRequest(1_000);
    for (const answer of [
      aggregate.handle(request),
      aggregate.handleBinary(toBinary(ContextualCommandSchema, request)),
    ]) {
      expect(answer.result.case).toBe("revocation");
      if (answer.result.case === "revocation") {
        expect(answer.result.value.emitSystemRevocation).toBe(true);
        expect(answer.result.value.reason).toBe("saga-x rejected: no stock");
      }
    }
    expect(folds.count).toBe(0);
  });

  test("with the aggregate's own revoke: it is given the folded state", () => {
    const { aggregate, folds } = counted(true);
    const answer = aggregate.handleBinary(toBinary(ContextualCommandSchema, revokeRequest(3)));
    expect(answer.result.case === "revocation" && answer.result.value.reason).toBe("seen 0,1,2,");
    expect(folds.count).toBe(3);
  });
});
