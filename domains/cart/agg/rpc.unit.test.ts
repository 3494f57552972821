// The agg-cart program's router in memory: real encoding both ways, no socket.
import { describe, expect, test } from "bun:test";
import {
  Aggregate as AggregateService,
  AnyPayload,
  CommandBookSchema,
  CommandBooks,
  ContextualCommandSchema,
  Covers,
  type EventBook,
  GetDescriptorRequestSchema,
  Identity,
  TypeUrl,
} from "@angzarr/proto";
import { AddItemSchema, CartStateSchema, ItemAddedSchema } from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, spec, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { cartAggregate } from "./aggregate";
import { CORRUPT_BYTES, cartCreated, itemAdded, rawCommand } from "./fixtures";

const client = new MemoryClient(buildRouter(aggregateComponent(cartAggregate)));
const root = Identity.cartRoot("CUST-001");
const cover = Covers.make({ domain: "cart", root, correlationId: "corr-cart-1" });
const history: EventBook = spec(cartAggregate, root)
  .given(cartCreated(), itemAdded("SKU-1", 2, 1000, 2000))
  .history();
const request = (command: Any) =>
  create(ContextualCommandSchema, { events: history, command: CommandBooks.make(cover, command) });
const addItem = AnyPayload.pack(
  AddItemSchema,
  create(AddItemSchema, { productId: "SKU-2", name: "Gadget", quantity: 1, unitPriceCents: 2500 }),
);

describe("agg-cart over RPC", () => {
  test("a command round trip returns the numbered event and the packed state", async () => {
    const response = await unary(client, AggregateService.method.handle, request(addItem));
    expect(response.result.case).toBe("events");
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.cover?.domain).toBe("cart");
    expect(book?.cover?.correlationId).toBe("corr-cart-1");
    const page = book?.pages[0];
    expect(book?.pages).toHaveLength(1);
    expect(page?.sequence).toEqual({ case: "num", value: 2 });
    expect(page?.event?.typeUrl).toBe("type.googleapis.com/examples.ItemAdded");
    expect(AnyPayload.unpack(page?.event, ItemAddedSchema)).toMatchObject({
      productId: "SKU-2",
      newSubtotal: 4500,
    });
    expect(TypeUrl.fullName(book?.snapshotState?.typeUrl ?? "")).toBe("examples.CartState");
    const state = fromBinary(CartStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state.items).toHaveLength(2);
    expect(state.subtotalCents).toBe(4500);
  });

  test("a malformed payload fails INVALID_ARGUMENT and the program keeps serving", async () => {
    const bad = await unary(
      client,
      AggregateService.method.handle,
      request(rawCommand("examples.AddItem", CORRUPT_BYTES)),
    ).catch((err: unknown) => err);
    expect(bad).toBeInstanceOf(ConnectError);
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    expect((bad as ConnectError).rawMessage).toStartWith("failed to decode examples.AddItem");
    const good = await unary(client, AggregateService.method.handle, request(addItem));
    expect(good.result.case).toBe("events");
  });

  test("a rejection keeps its code and message", async () => {
    const emptyProduct = AnyPayload.pack(AddItemSchema, create(AddItemSchema, { quantity: 1 }));
    const call = unary(client, AggregateService.method.handle, request(emptyProduct));
    await expect(call).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "Product ID is required",
    });
  });

  test("a book with no pages fails INVALID_ARGUMENT", async () => {
    const empty = create(ContextualCommandSchema, {
      events: history,
      command: create(CommandBookSchema, { cover, pages: [] }),
    });
    await expect(unary(client, AggregateService.method.handle, empty)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "CommandBook has no pages",
    });
  });

  test("the descriptor names the domain and lists its commands", async () => {
    const descriptor = await unary(
      client,
      AggregateService.method.getDescriptor,
      create(GetDescriptorRequestSchema),
    );
    expect(descriptor.name).toBe("cart");
    expect(descriptor.componentType).toBe("aggregate");
    expect(descriptor.inputs[0]?.domain).toBe("cart");
    expect(descriptor.inputs[0]?.eventTypes).toContain("examples.AddItem");
    expect(descriptor.inputs[0]?.eventTypes).toHaveLength(7);
  });
});
