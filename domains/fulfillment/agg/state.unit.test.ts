// Rebuild (§6.7 last line): every status, with the facts each step recorded.
import { describe, expect, test } from "bun:test";
import { AT, givenShipment, ITEMS, ORDER_ID } from "./fixtures";

describe("fulfillment rebuild", () => {
  test("no events: the shipment does not exist (empty order id)", () => {
    expect(givenShipment().state()).toMatchObject({ orderId: "", status: "" });
  });

  test("pending: order id and items", () => {
    expect(givenShipment(...AT.pending()).state()).toMatchObject({
      orderId: ORDER_ID,
      status: "pending",
      items: ITEMS,
    });
  });

  test("picking: picker", () => {
    expect(givenShipment(...AT.picking()).state()).toMatchObject({ status: "picking", pickerId: "picker-1" });
  });

  test("packing: packer", () => {
    expect(givenShipment(...AT.packing()).state()).toMatchObject({ status: "packing", packerId: "packer-1" });
  });

  test("shipped: carrier and tracking number", () => {
    expect(givenShipment(...AT.shipped()).state()).toMatchObject({
      status: "shipped",
      carrier: "UPS",
      trackingNumber: "1Z999",
    });
  });

  test("delivered: signature, earlier facts kept", () => {
    expect(givenShipment(...AT.delivered()).state()).toMatchObject({
      orderId: ORDER_ID,
      status: "delivered",
      pickerId: "picker-1",
      packerId: "packer-1",
      carrier: "UPS",
      trackingNumber: "1Z999",
      signature: "J. Doe",
      items: ITEMS,
    });
  });
});
