// decodeInSteps: the same message as fromBinary of the whole, with turns of the event loop while
// a large repeated field is decoded, and the SDK's error for bytes that do not decode.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CommandBookSchema,
  CommandPageSchema,
  Covers,
  EventBookSchema,
  EventPages,
  SagaResponseSchema,
  Uuid,
} from "@angzarr/proto";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodeInSteps } from "./stepped-decode";

const text = (value: string) => AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value }));
const command = (i: number) =>
  create(CommandBookSchema, {
    cover: Covers.make({ domain: "dst", root: Uuid.randomBytes(), correlationId: `c-${i}` }),
    pages: [create(CommandPageSchema, { sequence: i, command: text(`command ${i}`) })],
  });
const fact = (i: number) =>
  create(EventBookSchema, {
    cover: Covers.make({ domain: "facts", root: Uuid.randomBytes() }),
    pages: [EventPages.numbered(i, text(`fact ${i}`))],
  });

describe("decodeInSteps", () => {
  test("equals fromBinary of the whole: commands in runs between facts keep their order", async () => {
    // Field 1 (commands) and field 2 (events) interleaved on the wire: three encodings joined.
    const parts = [0, 1, 2].map((k) =>
      toBinary(
        SagaResponseSchema,
        create(SagaResponseSchema, {
          commands: Array.from({ length: 700 }, (_, i) => command(k * 1000 + i)),
          events: [fact(k)],
        }),
      ),
    );
    const bytes = new Uint8Array(Buffer.concat(parts));
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const stepped = await decodeInSteps(SagaResponseSchema, 1, bytes);
    ticking = false;
    expect(stepped.commands.map((c) => c.pages[0]?.sequence)).toEqual(
      [0, 1, 2].flatMap((k) => Array.from({ length: 700 }, (_, i) => k * 1000 + i)),
    );
    expect(stepped.events.map((e) => e.cover?.domain)).toEqual(["facts", "facts", "facts"]);
    expect(equals(SagaResponseSchema, stepped, fromBinary(SagaResponseSchema, bytes))).toBe(true);
    expect(turns).toBeGreaterThan(0);
  });

  test("bytes that do not decode: INVALID_ARGUMENT naming the message", async () => {
    const bytes = toBinary(SagaResponseSchema, create(SagaResponseSchema, { commands: [command(1)] }));
    const err = await decodeInSteps(SagaResponseSchema, 1, bytes.subarray(0, bytes.length - 3)).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toStartWith("failed to decode angzarr.SagaResponse:");
  });
});
