// The streamed handler request of a split history: command first, then the prior book in several
// `events` fields. protobuf-es must decode it to the ContextualCommand the whole request holds.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type CommandBook,
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  Covers,
  SnapshotSchema,
  Uuid,
} from "@angzarr/proto";
import { gatherBody, seeded } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { encodePageRows } from "../storage/encoded-pages";
import { encodeHandlerRequest, streamedHandlerRequest } from "./handler-request";

const root = Uuid.fromText("0b7d1f8e-5a51-4c4e-9d1e-2f3a4b5c6d7e");

function command(sequence: number): CommandBook {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain: "echo", root, correlationId: "c" }),
    pages: [
      create(CommandPageSchema, {
        sequence,
        command: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "go" })),
      }),
    ],
  });
}

type Row = readonly [number, number, number, string | null, Uint8Array];

function seededRows(count: number, from: number, seed: number): Row[] {
  const random = seeded(seed);
  const types = ["type.googleapis.com/google.protobuf.StringValue", "type.test/t.Big", ""];
  return Array.from({ length: count }, (_, i) => {
    const payload = new Uint8Array(Math.floor(random() * 60)).map(() => Math.floor(random() * 256));
    const type = random() < 0.05 ? null : (types[Math.floor(random() * types.length)] as string);
    return [from + i, Math.floor(random() * 2 ** 33), Math.floor(random() * 1e9), type, payload] as const;
  });
}

describe("streamed handler request (split history)", () => {
  const window = 5;
  // The rest after the first window: 1, N-1, N, N+1 pages, and several windows.
  for (const restCount of [1, window - 1, window, window + 1, 3 * window + 2]) {
    test(`first window of ${window} + ${restCount} more pages: fromBinary gives the whole request's message`, async () => {
      for (const withSnapshot of [false, true]) {
        const from = withSnapshot ? 8 : 0;
        const rows = seededRows(window + restCount, from, restCount * 2 + Number(withSnapshot));
        const snapshot = withSnapshot
          ? create(SnapshotSchema, {
              sequence: from - 1,
              state: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "s" })),
            })
          : undefined;
        const cover = Covers.make({ domain: "echo", root, correlationId: "c" });
        const cmd = command(from + rows.length);
        const whole = encodeHandlerRequest({ cover, snapshot, pages: encodePageRows(rows) }, cmd);
        const reads: [number, number][] = [];
        const body = streamedHandlerRequest(
          {
            cover,
            snapshot,
            pages: encodePageRows(rows.slice(0, window)),
            rest: { from: from + window, to: from + rows.length - 1 },
            window,
            read: async (lo, hi) => {
              reads.push([lo, hi]);
              return encodePageRows(rows.filter((r) => r[0] >= lo && r[0] <= hi));
            },
          },
          cmd,
        );
        const streamed = await gatherBody(body);
        expect(fromBinary(ContextualCommandSchema, streamed)).toEqual(
          fromBinary(ContextualCommandSchema, whole),
        );
        expect(reads.length).toBe(Math.ceil(restCount / window));
        expect(reads.at(-1)?.[1]).toBe(from + rows.length - 1);
        // parts() starts over: the same bytes again, read again.
        expect(await gatherBody(body)).toEqual(streamed);
        expect(reads.length).toBe(2 * Math.ceil(restCount / window));
      }
    });
  }
});
