// The upcaster's wire face: a request whose pages no rule applies to is answered with the same
// page bytes (no decoding), one with a rule through the rules; both give the answer protobuf-es
// gives for the upgraded pages. And the coordinator's client hands back the very pages it sent
// when the answer holds them unchanged.
import { expect, test } from "bun:test";
import {
  type EventPage,
  EventPageSchema,
  Upcaster,
  UpcastRequestSchema,
  UpcastResponseSchema,
} from "@angzarr/proto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema, Int32ValueSchema, StringValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { asEntries, entriesOf, pageTypeUrl } from "./fast/page-codec";
import { pathOf } from "./rpc/router";
import { buildRouter } from "./serve";
import { defineUpcaster, upcast, upcasterComponent } from "./upcaster";

const upcaster = defineUpcaster({
  domain: "d",
  rules: [
    upcast(Int32ValueSchema, StringValueSchema, (old) =>
      create(StringValueSchema, { value: `${old.value}` }),
    ),
  ],
});
const router = buildRouter(upcasterComponent(upcaster));
const call = (domain: string, events: EventPage[]) =>
  router.invoke(
    pathOf(Upcaster.method.upcast),
    toBinary(UpcastRequestSchema, create(UpcastRequestSchema, { domain, events })),
    { path: "", correlationId: "", signal: new AbortController().signal },
  );

const page = (sequence: number, typeUrl: string, value: Uint8Array) =>
  create(EventPageSchema, {
    sequence: { case: "num", value: sequence },
    createdAt: create(TimestampSchema, { seconds: 1_700_000_000n + BigInt(sequence), nanos: sequence }),
    event: create(AnySchema, { typeUrl, value }),
  });
const current = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    page(i, "type.googleapis.com/google.protobuf.StringValue", new Uint8Array([10, 1, 97 + (i % 26)])),
  );

test("pages no rule applies to come back byte for byte, as protobuf-es would write them", async () => {
  const pages = [...current(50), create(EventPageSchema, { sequence: { case: "force", value: true } })];
  const answer = await call("d", pages);
  expect(answer).toEqual(toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages })));
});

test("a page with a rule is upgraded, its neighbours kept", async () => {
  const old = page(
    3,
    "type.googleapis.com/google.protobuf.Int32Value",
    toBinary(Int32ValueSchema, create(Int32ValueSchema, { value: 42 })),
  );
  const pages = [...current(3), old];
  const events = fromBinary(UpcastResponseSchema, await call("", pages)).events;
  expect(events.slice(0, 3)).toEqual(
    fromBinary(
      UpcastResponseSchema,
      toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages.slice(0, 3) })),
    ).events,
  );
  expect(events[3]?.event?.typeUrl).toBe("type.googleapis.com/google.protobuf.StringValue");
  expect(fromBinary(StringValueSchema, events[3]?.event?.value ?? new Uint8Array()).value).toBe("42");
});

test("another domain's pages are refused, as before", async () => {
  await expect(call("other", current(2))).rejects.toThrow("this program upcasts d, not other");
});

test("the walk finds each page's bytes and type URL", () => {
  const pages = current(20);
  const request = toBinary(UpcastRequestSchema, create(UpcastRequestSchema, { domain: "d", events: pages }));
  const entries = entriesOf(request, 2, 1);
  expect(entries?.text).toBe("d");
  expect(entries?.starts.length).toBe(20);
  const { starts, ends } = entries as { starts: number[]; ends: number[] };
  for (let i = 0; i < 20; i++) {
    expect(pageTypeUrl(request, starts[i] as number, ends[i] as number)).toBe(pages[i]?.event?.typeUrl ?? "");
  }
  expect(asEntries(request, starts, ends, 1)).toEqual(
    toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages })),
  );
});
