// The SyncCommandBook a distributed gateway sends around a client's CommandBook bytes is byte for
// byte what protobuf-es writes for SyncCommandBook{command, sync_mode NONE}, for books whose
// length takes one to three varint bytes.
import { describe, expect, test } from "bun:test";
import { CommandBookSchema, SyncCommandBookSchema, SyncMode } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { echoCommand, newRoot } from "../testing/processes";
import { syncCommandBytes } from "./peer-pipeline";

describe("syncCommandBytes", () => {
  test("equals protobuf-es's encoding of SyncCommandBook{command} (SyncMode NONE)", () => {
    for (const size of [0, 1, 100, 127, 128, 5_000, 20_000, 200_000]) {
      const book = echoCommand("orders", newRoot(), "x".repeat(size), 3);
      const bytes = toBinary(CommandBookSchema, book);
      const expected = toBinary(
        SyncCommandBookSchema,
        create(SyncCommandBookSchema, { command: book, syncMode: SyncMode.NONE }),
      );
      expect(Buffer.from(syncCommandBytes(bytes)).equals(Buffer.from(expected))).toBe(true);
    }
    expect([...syncCommandBytes(new Uint8Array(0))]).toEqual([0x0a, 0]);
  });
});
