// The inventory upcaster: StockInitializedV1 pages become StockInitialized; others pass unchanged.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  EventPages,
  Timestamps,
  Upcaster,
  UpcastRequestSchema,
  UpcastResponseSchema,
} from "@angzarr/proto";
import {
  StockInitializedSchema,
  StockInitializedV1Schema,
  StockReceivedSchema,
} from "@angzarr/proto/examples.ts";
import { buildRouter, MemoryClient, unary, upcasterComponent } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { inventoryUpcaster } from "./upcaster";

const AT = Timestamps.fromMillis(Date.UTC(2024, 0, 2, 3, 4, 5));
const v1 = EventPages.numbered(
  0,
  AnyPayload.pack(
    StockInitializedV1Schema,
    create(StockInitializedV1Schema, { productId: "SKU-1", quantity: 40, initializedAt: AT }),
  ),
  AT,
);
const received = EventPages.numbered(
  1,
  AnyPayload.pack(StockReceivedSchema, create(StockReceivedSchema, { quantity: 5, newOnHand: 45 })),
  AT,
);

describe("inventory upcaster", () => {
  test("a v1 StockInitialized reads back as the current one; other pages are untouched", () => {
    const [first, second] = inventoryUpcaster.upcastPages([v1, received]);
    expect(first?.event?.typeUrl).toBe("type.googleapis.com/examples.StockInitialized");
    expect(first?.sequence).toEqual(v1.sequence);
    expect(first?.createdAt).toEqual(AT);
    expect(AnyPayload.unpack(first?.event, StockInitializedSchema)).toMatchObject({
      productId: "SKU-1",
      quantity: 40,
      lowStockThreshold: 0,
      initializedAt: AT,
    });
    expect(second).toBe(received);
  });

  test("the v1 bytes do not decode as the current message: the upcaster does real work", () => {
    const bytes = toBinary(
      StockInitializedV1Schema,
      create(StockInitializedV1Schema, { productId: "SKU-1", quantity: 40, initializedAt: AT }),
    );
    expect(() =>
      AnyPayload.unpack(
        { ...v1.event!, typeUrl: "type.googleapis.com/examples.StockInitialized", value: bytes },
        StockInitializedSchema,
      ),
    ).toThrow();
  });

  test("served as angzarr.Upcaster/Upcast; a garbled v1 page fails with 'failed to decode'", async () => {
    const client = new MemoryClient(buildRouter(upcasterComponent(inventoryUpcaster)));
    const response = await unary(
      client,
      Upcaster.method.upcast,
      create(UpcastRequestSchema, { domain: "inventory", events: [v1] }),
    );
    expect(response.$typeName).toBe(UpcastResponseSchema.typeName);
    expect(response.events.map((e) => e.event?.typeUrl)).toEqual([
      "type.googleapis.com/examples.StockInitialized",
    ]);
    const garbled = { ...v1, event: { ...v1.event!, value: new Uint8Array([0xff, 0xfe, 0xfd]) } };
    await expect(
      unary(
        client,
        Upcaster.method.upcast,
        create(UpcastRequestSchema, { domain: "inventory", events: [garbled] }),
      ),
    ).rejects.toThrow("failed to decode examples.StockInitializedV1");
  });
});
