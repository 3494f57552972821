// Rebuild (§6.6 last line) and the facts-not-deltas rule (§1.5).
import { describe, expect, test } from "bun:test";
import type { InventoryState } from "@angzarr/proto/examples.ts";
import {
  committed,
  givenInventory,
  initialized,
  ORDER_A,
  ORDER_B,
  received,
  released,
  reserved,
} from "./fixtures";
import { available } from "./state";

const levels = (state: InventoryState) => ({
  onHand: state.onHand,
  reserved: state.reserved,
  available: available(state),
});

describe("inventory rebuild: on-hand / reserved / available", () => {
  test("after receipt: 50 + 30 → 80/0/80", () => {
    expect(levels(givenInventory(initialized(50), received(30, 80)).state())).toEqual({
      onHand: 80,
      reserved: 0,
      available: 80,
    });
  });

  test("after reservation: 100/25/75", () => {
    const state = givenInventory(initialized(100), reserved(ORDER_A, 25, 100, 25)).state();
    expect(levels(state)).toEqual({ onHand: 100, reserved: 25, available: 75 });
    expect(state.reservations).toEqual({ [ORDER_A]: 25 });
  });

  test("after commit: 70/0/70", () => {
    const state = givenInventory(
      initialized(100),
      reserved(ORDER_A, 30, 100, 30),
      committed(ORDER_A, 30, 70, 0),
    ).state();
    expect(levels(state)).toEqual({ onHand: 70, reserved: 0, available: 70 });
    expect(state.reservations).toEqual({});
  });

  test("after release: 100/0/100", () => {
    const state = givenInventory(
      initialized(100),
      reserved(ORDER_A, 25, 100, 25),
      released(ORDER_A, 25, 100, 0),
    ).state();
    expect(levels(state)).toEqual({ onHand: 100, reserved: 0, available: 100 });
    expect(state.reservations).toEqual({});
  });

  test("initialisation records product and threshold", () => {
    expect(givenInventory(initialized(20, 10)).state()).toMatchObject({
      productId: "SKU-001",
      onHand: 20,
      reserved: 0,
      lowStockThreshold: 10,
    });
  });

  test("events assign facts: on-hand and reserved come from the last event, never from sums", () => {
    // Facts deliberately not derivable by adding quantities: applying must take them as given.
    const state = givenInventory(initialized(100), received(5, 300), reserved(ORDER_B, 7, 250, 40)).state();
    expect(levels(state)).toEqual({ onHand: 250, reserved: 40, available: 210 });
  });
});
