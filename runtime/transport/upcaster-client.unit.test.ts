// The coordinator's upcaster client: an answer holding the pages it sent, byte for byte, gives
// back those very pages (nothing decoded); an upgraded answer gives the upgraded pages.
import { expect, test } from "bun:test";
import { EventPageSchema } from "@angzarr/proto";
import { buildRouter, defineUpcaster, MemoryClient, upcast, upcasterComponent } from "@angzarr/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema, Int32ValueSchema, StringValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { upcasterClient } from "./upcaster-client";

const client = upcasterClient(
  new MemoryClient(
    buildRouter(
      upcasterComponent(
        defineUpcaster({
          domain: "d",
          rules: [
            upcast(Int32ValueSchema, StringValueSchema, (old) =>
              create(StringValueSchema, { value: `${old.value}` }),
            ),
          ],
        }),
      ),
    ),
  ),
);

const page = (sequence: number, typeUrl: string, value: Uint8Array) =>
  create(EventPageSchema, {
    sequence: { case: "num", value: sequence },
    createdAt: create(TimestampSchema, { seconds: 1_700_000_000n, nanos: sequence }),
    event: create(AnySchema, { typeUrl, value }),
  });
const STRING = "type.googleapis.com/google.protobuf.StringValue";

test("unchanged pages: the same pages", async () => {
  const pages = Array.from({ length: 30 }, (_, i) => page(i, STRING, new Uint8Array([10, 1, 97])));
  expect(await client("d", pages)).toBe(pages);
});

test("an upgraded page: the upgraded pages", async () => {
  const old = page(
    1,
    "type.googleapis.com/google.protobuf.Int32Value",
    toBinary(Int32ValueSchema, create(Int32ValueSchema, { value: 7 })),
  );
  const pages = [page(0, STRING, new Uint8Array([10, 1, 97])), old];
  const out = await client("d", pages);
  expect(out).not.toBe(pages);
  expect(out[0]).toEqual(pages[0]);
  expect(out[1]?.event?.typeUrl).toBe(STRING);
  expect(fromBinary(StringValueSchema, out[1]?.event?.value ?? new Uint8Array()).value).toBe("7");
});
