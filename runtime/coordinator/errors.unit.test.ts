import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CoverSchema,
  EventBookSchema,
  EventBooks,
  EventPageSchema,
  SnapshotSchema,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { boundedBook, MISMATCH_DETAIL_LIMIT, sequenceMismatch } from "./errors";

const root = new Uint8Array(16).fill(7);
const book = (events: number, size: number, snapshotAt?: number) =>
  create(EventBookSchema, {
    cover: create(CoverSchema, { domain: "d", root: { value: root }, correlationId: "c".repeat(200) }),
    ...(snapshotAt !== undefined ? { snapshot: create(SnapshotSchema, { sequence: snapshotAt }) } : {}),
    pages: Array.from({ length: events }, (_, i) =>
      create(EventPageSchema, {
        sequence: { case: "num", value: (snapshotAt ?? -1) + 1 + i },
        event: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "x".repeat(size) })),
      }),
    ),
  });

describe("sequence-mismatch detail", () => {
  test("a book within the limit is passed as it is (snapshot and later pages)", () => {
    const small = book(3, 10, 4);
    expect(boundedBook(small, 8)).toBe(small);
  });

  test("a longer book becomes its address and where it stands", () => {
    const long = book(200, 100);
    expect(toBinary(EventBookSchema, long).byteLength).toBeGreaterThan(MISMATCH_DETAIL_LIMIT);
    const err = sequenceMismatch(0, 200, long);
    const [told] = err.findDetails(EventBookSchema);
    expect(told?.pages).toEqual([]);
    expect(told?.snapshot?.sequence).toBe(199);
    expect(told && EventBooks.nextSequence(told)).toBe(200);
    expect(told?.cover?.domain).toBe("d");
    expect(told?.cover?.root?.value).toEqual(root);
    expect(told && toBinary(EventBookSchema, told).byteLength).toBeLessThan(100);
  });
});
