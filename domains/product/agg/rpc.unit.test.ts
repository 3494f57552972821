// The agg-product program's router in memory: real encoding both ways, no socket.
import { describe, expect, test } from "bun:test";
import {
  Aggregate as AggregateService,
  AnyPayload,
  CommandBooks,
  ContextualCommandSchema,
  Covers,
  type EventBook,
  GetDescriptorRequestSchema,
  Identity,
  TypeUrl,
} from "@angzarr/proto";
import { PriceSetSchema, ProductStateSchema, SetPriceSchema } from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, spec, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { productAggregate } from "./aggregate";
import { CORRUPT_BYTES, productCreated, rawCommand, SKU } from "./fixtures";

const client = new MemoryClient(buildRouter(aggregateComponent(productAggregate)));
const root = Identity.productRoot(SKU);
const cover = Covers.make({ domain: "product", root, correlationId: "corr-product-1" });
const history: EventBook = spec(productAggregate, root).given(productCreated(1000)).history();
const request = (command: Any) =>
  create(ContextualCommandSchema, { events: history, command: CommandBooks.make(cover, command) });
const setPrice = (priceCents: number) =>
  AnyPayload.pack(SetPriceSchema, create(SetPriceSchema, { priceCents }));

describe("agg-product over RPC", () => {
  test("a command round trip returns the numbered event and the packed state", async () => {
    const response = await unary(client, AggregateService.method.handle, request(setPrice(1500)));
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.cover?.correlationId).toBe("corr-product-1");
    expect(book?.pages).toHaveLength(1);
    const page = book?.pages[0];
    expect(page?.sequence).toEqual({ case: "num", value: 1 });
    expect(page?.event?.typeUrl).toBe("type.googleapis.com/examples.PriceSet");
    expect(AnyPayload.unpack(page?.event, PriceSetSchema)).toMatchObject({
      priceCents: 1500,
      previousPriceCents: 1000,
    });
    expect(TypeUrl.fullName(book?.snapshotState?.typeUrl ?? "")).toBe("examples.ProductState");
    const state = fromBinary(ProductStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state).toMatchObject({ sku: SKU, priceCents: 1500, status: "active" });
  });

  test("a malformed payload fails INVALID_ARGUMENT and the program keeps serving", async () => {
    const bad = await unary(
      client,
      AggregateService.method.handle,
      request(rawCommand("examples.SetPrice", CORRUPT_BYTES)),
    ).catch((err: unknown) => err);
    expect(bad).toBeInstanceOf(ConnectError);
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    expect((bad as ConnectError).rawMessage).toStartWith("failed to decode examples.SetPrice");
    const good = await unary(client, AggregateService.method.handle, request(setPrice(1500)));
    expect(good.result.case).toBe("events");
  });

  test("a rejection keeps its code and message", async () => {
    await expect(unary(client, AggregateService.method.handle, request(setPrice(0)))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "Price must be positive",
    });
  });

  test("the descriptor names the domain and lists its commands", async () => {
    const descriptor = await unary(
      client,
      AggregateService.method.getDescriptor,
      create(GetDescriptorRequestSchema),
    );
    expect(descriptor).toMatchObject({ name: "product", componentType: "aggregate" });
    expect(descriptor.inputs[0]?.eventTypes).toEqual([
      "examples.CreateProduct",
      "examples.UpdateProduct",
      "examples.SetPrice",
      "examples.Discontinue",
    ]);
  });
});
