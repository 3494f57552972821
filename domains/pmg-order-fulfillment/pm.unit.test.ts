// pmg-order-fulfillment (example-domains §4, §6.9): pure calls of Prepare and Handle. A small
// in-memory world plays the runtime: it keeps each aggregate's history, answers Prepare's covers
// with those histories, and feeds the PM's own events back in as its process state.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type CommandBook,
  type Cover,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  Identity,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import {
  DispatchIssuedSchema,
  ItemsPackedSchema,
  ItemsPickedSchema,
  LineItemSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
  OrderTrackedSchema,
  PaymentSubmittedSchema,
  PrerequisiteCompletedSchema,
  ReservationReleasedSchema,
  ShipmentCreatedSchema,
  ShipSchema,
  StockInitializedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { commandPayload, garbage, type Packable, packable, sourceBook, target } from "../shared/testing";
import { createOrderFulfillmentPm, PM_NAME, STATE_DOMAIN } from "./pm";

const skipped: string[] = [];
const pm = createOrderFulfillmentPm({ onSkip: (_page, why) => skipped.push(why) });

const line = (productId: string, quantity: number) =>
  create(LineItemSchema, { productId, name: productId, quantity, unitPriceCents: 1000 });

interface Workflow {
  correlationId: string;
  orderRoot: Uint8Array;
  orderId: string;
  items: ReturnType<typeof line>[];
}

const workflow = (orderNumber: string, correlationId: string, items = [line("SKU-001", 2)]): Workflow => {
  const orderRoot = Identity.orderRoot(orderNumber);
  return { correlationId, orderRoot, orderId: Uuid.toText(orderRoot), items };
};

interface Delivery {
  prepared: Cover[];
  commands: CommandBook[];
  /** Full names of the PM events this delivery produced. */
  events: string[];
  processEvents: EventBook | undefined;
}

class World {
  private readonly histories = new Map<string, EventBook>();
  private readonly pmStates = new Map<string, EventBook>();
  readonly ships: CommandBook[] = [];

  private static key(domain: string, root: Uint8Array): string {
    return `${domain}/${Uuid.toText(root)}`;
  }

  /** Appends events to an aggregate and returns its full history as the trigger of `correlationId`. */
  append(domain: string, root: Uint8Array, correlationId: string, ...events: Packable[]): EventBook {
    const key = World.key(domain, root);
    const prior = this.histories.get(key)?.pages ?? [];
    const added = sourceBook({ domain, root, correlationId, firstSequence: prior.length }, events);
    const book = create(EventBookSchema, { cover: added.cover, pages: [...prior, ...added.pages] });
    this.histories.set(key, book);
    return book;
  }

  /** The current full history of an aggregate, as a trigger of `correlationId`. */
  history(domain: string, root: Uint8Array, correlationId: string): EventBook {
    return this.append(domain, root, correlationId);
  }

  /** One PM delivery: Prepare, fetch, Handle, persist the PM's events. */
  deliver(trigger: EventBook): Delivery {
    const correlationId = trigger.cover?.correlationId ?? "";
    const state = this.pmStates.get(correlationId);
    const prepared = pm.prepare(trigger, state);
    const destinations = prepared.map(
      (cover) =>
        this.histories.get(World.key(cover.domain, cover.root?.value ?? new Uint8Array())) ??
        create(EventBookSchema, { cover, pages: [] }),
    );
    const response = pm.handle(trigger, state, destinations);
    const processEvents = response.processEvents;
    if (processEvents) {
      const prior = state?.pages ?? [];
      expect(processEvents.pages.map((p) => EventPages.sequence(p))).toEqual(
        processEvents.pages.map((_, i) => prior.length + i),
      );
      this.pmStates.set(
        correlationId,
        create(EventBookSchema, { cover: processEvents.cover, pages: [...prior, ...processEvents.pages] }),
      );
    }
    this.ships.push(...response.commands);
    return {
      prepared,
      commands: response.commands,
      events: processEvents?.pages.map((p) => TypeUrl.fullName(p.event?.typeUrl ?? "")) ?? [],
      processEvents,
    };
  }

  pmBook(correlationId: string): EventBook | undefined {
    return this.pmStates.get(correlationId);
  }

  pmState(correlationId: string) {
    return pm.rebuild(this.pmStates.get(correlationId));
  }

  /** Full names of every PM event stored for a correlation id. */
  pmEvents(correlationId: string): string[] {
    return (this.pmStates.get(correlationId)?.pages ?? []).map((p) =>
      TypeUrl.fullName(p.event?.typeUrl ?? ""),
    );
  }

  // --- business steps: append the facts, then deliver the trigger ---

  created(w: Workflow): Delivery {
    return this.deliver(this.recordCreated(w));
  }

  recordCreated(w: Workflow): EventBook {
    return this.append(
      "order",
      w.orderRoot,
      w.correlationId,
      packable(OrderCreatedSchema, create(OrderCreatedSchema, { customerId: "CUST-001", items: w.items })),
    );
  }

  reserved(w: Workflow, productId: string, forOrderId = w.orderId): Delivery {
    const root = Identity.inventoryRoot(productId);
    const isNew = !this.histories.has(World.key("inventory", root));
    const quantity = w.items.filter((i) => i.productId === productId).reduce((n, i) => n + i.quantity, 0);
    const events = [
      ...(isNew
        ? [packable(StockInitializedSchema, create(StockInitializedSchema, { productId, quantity: 100 }))]
        : []),
      packable(StockReservedSchema, create(StockReservedSchema, { quantity, orderId: forOrderId })),
    ];
    return this.deliver(this.append("inventory", root, w.correlationId, ...events));
  }

  /** Reservations of every distinct product of the order; returns the last delivery. */
  reservedAll(w: Workflow): Delivery {
    const products = [...new Set(w.items.map((i) => i.productId))];
    let last: Delivery | undefined;
    for (const p of products) last = this.reserved(w, p);
    if (!last) throw new Error("no products");
    return last;
  }

  paid(w: Workflow): Delivery {
    return this.deliver(
      this.append(
        "order",
        w.orderRoot,
        w.correlationId,
        packable(
          PaymentSubmittedSchema,
          create(PaymentSubmittedSchema, { paymentMethod: "card", amountCents: 2000 }),
        ),
      ),
    );
  }

  completed(w: Workflow): Delivery {
    return this.deliver(
      this.append(
        "order",
        w.orderRoot,
        w.correlationId,
        packable(
          OrderCompletedSchema,
          create(OrderCompletedSchema, { finalTotalCents: 2000, items: w.items }),
        ),
      ),
    );
  }

  cancelled(w: Workflow): Delivery {
    return this.deliver(
      this.append(
        "order",
        w.orderRoot,
        w.correlationId,
        packable(
          OrderCancelledSchema,
          create(OrderCancelledSchema, { reason: "changed my mind", items: w.items }),
        ),
      ),
    );
  }

  /** ShipmentCreated, ItemsPicked and ItemsPacked at the order's root, each delivered; returns the packing. */
  packed(w: Workflow, orderId = w.orderId, root = w.orderRoot): Delivery {
    const fulfillment = (event: Packable) =>
      this.deliver(this.append("fulfillment", root, w.correlationId, event));
    fulfillment(
      packable(
        ShipmentCreatedSchema,
        create(ShipmentCreatedSchema, { orderId, status: "pending", items: w.items }),
      ),
    );
    fulfillment(packable(ItemsPickedSchema, create(ItemsPickedSchema, { pickerId: "picker-1" })));
    return fulfillment(packable(ItemsPackedSchema, create(ItemsPackedSchema, { packerId: "packer-1" })));
  }

  /** Every aggregate history of the workflow, re-delivered as triggers; returns all deliveries. */
  redeliverAll(w: Workflow): Delivery[] {
    const triggers = [
      this.history("order", w.orderRoot, w.correlationId),
      this.history("fulfillment", w.orderRoot, w.correlationId),
      ...[...new Set(w.items.map((i) => i.productId))].map((p) =>
        this.history("inventory", Identity.inventoryRoot(p), w.correlationId),
      ),
    ];
    return triggers.filter((t) => t.pages.length > 0).map((t) => this.deliver(t));
  }
}

const decodePage = <S extends Parameters<typeof AnyPayload.unpack>[1]>(
  book: EventBook | undefined,
  i: number,
  schema: S,
) => AnyPayload.unpack(book?.pages[i]?.event, schema);

/** Asserts the one Ship of a workflow: at its shipment root, auto carrier, its correlation id. */
function expectShip(ship: CommandBook | undefined, w: Workflow, shipmentRoot = w.orderRoot) {
  expect(target(ship)).toEqual({
    domain: "fulfillment",
    root: Uuid.toText(shipmentRoot),
    correlationId: w.correlationId,
  });
  const payload = commandPayload(ship, ShipSchema);
  expect(payload.carrier).toBe(`auto-${Uuid.toText(shipmentRoot)}`);
  expect(payload.trackingNumber).toBe("");
}

describe("pmg-order-fulfillment: descriptor and identity", () => {
  test("describes itself by program name, as a process manager over every event of its three inputs", () => {
    const d = pm.descriptor();
    expect([d.name, PM_NAME, d.componentType]).toEqual([
      "pmg-order-fulfillment",
      "pmg-order-fulfillment",
      "process_manager",
    ]);
    expect(d.inputs.map((i) => [i.domain, i.eventTypes])).toEqual([
      [
        "order",
        [
          "examples.OrderCreated",
          "examples.LoyaltyDiscountApplied",
          "examples.PaymentSubmitted",
          "examples.OrderCompleted",
          "examples.OrderCancelled",
        ],
      ],
      [
        "inventory",
        [
          "examples.StockInitialized",
          "examples.StockReceived",
          "examples.StockReserved",
          "examples.ReservationReleased",
          "examples.ReservationCommitted",
          "examples.LowStockAlert",
        ],
      ],
      [
        "fulfillment",
        [
          "examples.ShipmentCreated",
          "examples.ItemsPicked",
          "examples.ItemsPacked",
          "examples.Shipped",
          "examples.Delivered",
        ],
      ],
    ]);
    expect(d.inputs.some((i) => i.domain === STATE_DOMAIN)).toBe(false);
  });

  test("PM events live in order-fulfillment at uuidv5(OID, correlation id) and carry the correlation id", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    const { processEvents } = world.created(w);
    expect(processEvents?.cover?.domain).toBe("order-fulfillment");
    expect(Covers.rootString(processEvents?.cover)).toBe("1531b015-83b7-568f-82db-c85d0c57386b");
    expect(processEvents?.cover?.correlationId).toBe("corr-1");
    expect(processEvents?.pages[0]?.event?.typeUrl).toBe("type.googleapis.com/examples.OrderTracked");
  });
});

describe("pmg-order-fulfillment: the happy path", () => {
  test("payment alone, or with the reservation, dispatches nothing; packing third dispatches one Ship", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");

    const created = world.created(w);
    expect(created.events).toEqual(["examples.OrderTracked"]);
    const tracked = decodePage(created.processEvents, 0, OrderTrackedSchema);
    expect([tracked.orderId, tracked.productIds]).toEqual([w.orderId, ["SKU-001"]]);

    const paid = world.paid(w);
    expect(paid.commands).toHaveLength(0);
    expect(paid.events).toEqual(["examples.PrerequisiteCompleted"]);
    const payment = decodePage(paid.processEvents, 0, PrerequisiteCompletedSchema);
    expect([payment.prerequisite, payment.completed, payment.remaining]).toEqual([
      "payment",
      ["payment"],
      ["inventory", "fulfillment"],
    ]);
    expect(payment.sourceRoot).toEqual(w.orderRoot);

    const reserved = world.reservedAll(w);
    expect(reserved.commands).toHaveLength(0);
    const inventory = decodePage(reserved.processEvents, 0, PrerequisiteCompletedSchema);
    expect([
      inventory.prerequisite,
      inventory.completed,
      inventory.remaining,
      inventory.sourceRoot.length,
    ]).toEqual(["inventory", ["payment", "inventory"], ["fulfillment"], 0]);

    expect(world.completed(w).events).toEqual([]);
    const packed = world.packed(w);
    expect(packed.events).toEqual(["examples.PrerequisiteCompleted", "examples.DispatchIssued"]);
    const fulfillment = decodePage(packed.processEvents, 0, PrerequisiteCompletedSchema);
    expect([fulfillment.prerequisite, fulfillment.completed, fulfillment.remaining]).toEqual([
      "fulfillment",
      ["payment", "inventory", "fulfillment"],
      [],
    ]);
    expect(fulfillment.sourceRoot).toEqual(w.orderRoot);
    const dispatch = decodePage(packed.processEvents, 1, DispatchIssuedSchema);
    expect([dispatch.completed, dispatch.orderId]).toEqual([
      ["payment", "inventory", "fulfillment"],
      w.orderId,
    ]);
    expect(dispatch.fulfillmentRoot).toEqual(w.orderRoot);

    expect(packed.commands).toHaveLength(1);
    expectShip(packed.commands[0], w);
    expect(world.ships).toHaveLength(1);
  });

  test("PM state at its root shows each prerequisite as it completes, then dispatched", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    let state = world.pmState(w.correlationId);
    expect([state.orderId, state.productIds, state.completed, state.dispatched]).toEqual([
      w.orderId,
      ["SKU-001"],
      ["payment"],
      false,
    ]);
    world.reservedAll(w);
    expect(world.pmState(w.correlationId).completed).toEqual(["payment", "inventory"]);
    world.packed(w);
    state = world.pmState(w.correlationId);
    expect([state.completed, state.dispatched]).toEqual([["payment", "inventory", "fulfillment"], true]);
    expect(state.fulfillmentRoot).toEqual(w.orderRoot);
    expect(world.pmBook(w.correlationId)?.cover?.root?.value).toEqual(Identity.processManagerRoot("corr-1"));
  });
});

describe("pmg-order-fulfillment: every arrival order dispatches exactly once", () => {
  type Step = "reserved" | "paid" | "packed";
  const permutations: Step[][] = [
    ["reserved", "paid", "packed"],
    ["reserved", "packed", "paid"],
    ["paid", "reserved", "packed"],
    ["paid", "packed", "reserved"],
    ["packed", "reserved", "paid"],
    ["packed", "paid", "reserved"],
  ];
  for (const announced of [true, false]) {
    for (const steps of permutations) {
      const label = `${steps.join(" → ")}${announced ? " (after OrderCreated)" : " (OrderCreated never delivered)"}`;
      test(label, () => {
        const world = new World();
        const w = workflow("ORD-001", "corr-1", [line("SKU-001", 1), line("SKU-002", 2), line("SKU-001", 1)]);
        if (announced) world.created(w);
        else world.recordCreated(w);
        steps.forEach((step, i) => {
          const before = world.ships.length;
          if (step === "reserved") world.reservedAll(w);
          if (step === "paid") world.paid(w);
          if (step === "packed") world.packed(w);
          expect(world.ships.length - before).toBe(i === steps.length - 1 ? 1 : 0);
        });
        expect(world.ships).toHaveLength(1);
        expectShip(world.ships[0], w);

        // Re-delivering every trigger afterwards changes nothing.
        const eventsBefore = world.pmEvents(w.correlationId);
        for (const d of world.redeliverAll(w)) {
          expect(d.commands).toHaveLength(0);
          expect(d.events).toHaveLength(0);
          expect(d.prepared).toHaveLength(0);
        }
        expect(world.pmEvents(w.correlationId)).toEqual(eventsBefore);
        const names = world.pmEvents(w.correlationId);
        expect(names.filter((n) => n === "examples.OrderTracked")).toHaveLength(1);
        expect(names.filter((n) => n === "examples.PrerequisiteCompleted")).toHaveLength(3);
        expect(names.filter((n) => n === "examples.DispatchIssued")).toHaveLength(1);
        expect(world.pmState(w.correlationId).productIds).toEqual(["SKU-001", "SKU-002"]);
      });
    }
  }

  test("paid → packed → reserved ships to the recorded shipment, not to the last trigger's root", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    world.packed(w);
    const last = world.reserved(w, "SKU-001");
    expect(last.commands).toHaveLength(1);
    expectShip(last.commands[0], w);
    expect(target(last.commands[0]).root).not.toBe(Uuid.toText(Identity.inventoryRoot("SKU-001")));
  });
});

describe("pmg-order-fulfillment: exactly once", () => {
  test("a duplicate payment delivery completes nothing more", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    const again = world.deliver(world.history("order", w.orderRoot, w.correlationId));
    expect([again.events, again.commands]).toEqual([[], []]);
    expect(world.completed(w).events).toEqual([]);
    expect(world.pmState(w.correlationId).completed).toEqual(["payment"]);
  });

  test("a packing event re-delivered after dispatch dispatches nothing more", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    world.reservedAll(w);
    world.packed(w);
    expect(world.ships).toHaveLength(1);
    const again = world.deliver(world.history("fulfillment", w.orderRoot, w.correlationId));
    expect([again.events, again.commands, again.prepared]).toEqual([[], [], []]);
    expect(world.ships).toHaveLength(1);
  });

  test("Handle on a state that shows dispatched does nothing, even for a fresh packing trigger", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    world.reservedAll(w);
    world.packed(w);
    const trigger = world.history("fulfillment", w.orderRoot, w.correlationId);
    const response = pm.handle(trigger, world.pmBook(w.correlationId), []);
    expect(response.commands).toHaveLength(0);
    expect(response.processEvents).toBeUndefined();
  });
});

describe("pmg-order-fulfillment: binding and inventory", () => {
  test("a reservation that arrives before the order is known is counted once the order binds", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.recordCreated(w);
    const early = world.reserved(w, "SKU-001");
    expect([early.prepared, early.events, early.commands]).toEqual([[], [], []]);
    expect(world.pmBook(w.correlationId)).toBeUndefined();

    const binding = world.paid(w);
    expect(binding.prepared.map((c) => [c.domain, Covers.rootString(c), c.correlationId])).toEqual([
      ["inventory", "934c8417-4c8b-581b-971d-000ebe80f1e3", "corr-1"],
    ]);
    expect(binding.events).toEqual([
      "examples.OrderTracked",
      "examples.PrerequisiteCompleted",
      "examples.PrerequisiteCompleted",
    ]);
    expect(world.pmState(w.correlationId).completed).toEqual(["payment", "inventory"]);
  });

  test("an order with two products waits for both reservations", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1", [line("SKU-001", 1), line("SKU-002", 1)]);
    world.created(w);
    world.paid(w);
    world.packed(w);
    const first = world.reserved(w, "SKU-001");
    expect(first.prepared.map((c) => Covers.rootString(c))).toEqual([
      Uuid.toText(Identity.inventoryRoot("SKU-002")),
    ]);
    expect([first.events, first.commands]).toEqual([[], []]);
    expect(world.pmState(w.correlationId).completed).toEqual(["payment", "fulfillment"]);

    const second = world.reserved(w, "SKU-002");
    expect(second.prepared.map((c) => Covers.rootString(c))).toEqual([
      "934c8417-4c8b-581b-971d-000ebe80f1e3",
    ]);
    expect(second.events).toEqual(["examples.PrerequisiteCompleted", "examples.DispatchIssued"]);
    expect(second.commands).toHaveLength(1);
    expectShip(second.commands[0], w);
  });

  test("a reservation held for another order does not count", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    const other = world.reserved(w, "SKU-001", Uuid.toText(Identity.orderRoot("ORD-999")));
    expect(other.events).toEqual([]);
    expect(world.pmState(w.correlationId).completed).toEqual([]);
  });

  test("a shipment binds the order and its products when it arrives first", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1", [line("SKU-002", 1), line("SKU-001", 1), line("SKU-002", 3)]);
    const packed = world.packed(w);
    expect(packed.events).toEqual(["examples.PrerequisiteCompleted"]);
    const state = world.pmState(w.correlationId);
    expect([state.orderId, state.productIds, state.completed]).toEqual([
      w.orderId,
      ["SKU-002", "SKU-001"],
      ["fulfillment"],
    ]);
    expect(state.fulfillmentRoot).toEqual(w.orderRoot);
  });

  test("a trigger whose order differs from the bound one is ignored", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.paid(w);
    world.reservedAll(w);
    const stranger = workflow("ORD-002", "corr-1");
    world.recordCreated(stranger);
    const strangerPaid = world.paid(stranger);
    expect([strangerPaid.prepared, strangerPaid.events, strangerPaid.commands]).toEqual([[], [], []]);
    const strangerPacked = world.packed(stranger);
    expect([strangerPacked.events, strangerPacked.commands]).toEqual([[], []]);
    expect(world.pmState(w.correlationId).orderId).toBe(w.orderId);
    expect(world.ships).toHaveLength(0);
  });

  test("Prepare asks for nothing once inventory is complete", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.reservedAll(w);
    expect(world.paid(w).prepared).toEqual([]);
  });
});

describe("pmg-order-fulfillment: isolation and ignored input", () => {
  test("two correlation ids have independent state", () => {
    const world = new World();
    const a = workflow("ORD-A", "corr-A");
    const b = workflow("ORD-B", "corr-B");
    world.created(b);
    world.paid(b);
    world.created(a);
    world.paid(a);
    world.reservedAll(a);
    world.packed(a);
    expect(world.ships).toHaveLength(1);
    expectShip(world.ships[0], a);
    const stateB = world.pmState("corr-B");
    expect([stateB.orderId, stateB.completed, stateB.dispatched]).toEqual([b.orderId, ["payment"], false]);
    expect(world.pmBook("corr-B")?.cover?.root?.value).toEqual(Identity.processManagerRoot("corr-B"));
  });

  test("a book without a correlation id is ignored by Prepare and Handle", () => {
    const w = workflow("ORD-001", "");
    const trigger = sourceBook({ domain: "order", root: w.orderRoot, correlationId: "" }, [
      packable(OrderCreatedSchema, create(OrderCreatedSchema, { customerId: "CUST-001", items: w.items })),
      packable(
        PaymentSubmittedSchema,
        create(PaymentSubmittedSchema, { paymentMethod: "card", amountCents: 2000 }),
      ),
    ]);
    expect(pm.prepare(trigger, undefined)).toEqual([]);
    const response = pm.handle(trigger, undefined, []);
    expect(response.commands).toHaveLength(0);
    expect(response.processEvents).toBeUndefined();
    const direct = pm.definition.handle(trigger, pm.rebuild(undefined), []);
    expect([direct.commands ?? [], direct.events ?? []]).toEqual([[], []]);
  });

  test("a cancelled order never dispatches", () => {
    const world = new World();
    const w = workflow("ORD-001", "corr-1");
    world.created(w);
    world.reservedAll(w);
    world.paid(w);
    expect(world.cancelled(w).events).toEqual([]);
    const released = world.deliver(
      world.append(
        "inventory",
        Identity.inventoryRoot("SKU-001"),
        w.correlationId,
        packable(
          ReservationReleasedSchema,
          create(ReservationReleasedSchema, { orderId: w.orderId, quantity: 2 }),
        ),
      ),
    );
    expect([released.events, released.commands]).toEqual([[], []]);
    expect(world.ships).toHaveLength(0);
    const state = world.pmState(w.correlationId);
    expect([state.completed, state.dispatched]).toEqual([["payment", "inventory"], false]);
  });

  test("undecodable pages in a trigger are skipped and logged; the rest still counts", () => {
    skipped.length = 0;
    const w = workflow("ORD-001", "corr-1");
    const trigger = sourceBook({ domain: "order", root: w.orderRoot, correlationId: "corr-1" }, [
      packable(OrderCreatedSchema, create(OrderCreatedSchema, { customerId: "CUST-001", items: w.items })),
      garbage("type.googleapis.com/examples.PaymentSubmitted"),
      garbage("type.googleapis.com/examples.NotAnEvent"),
    ]);
    const response = pm.handle(trigger, undefined, []);
    expect(response.processEvents?.pages.map((p) => p.event?.typeUrl)).toEqual([
      "type.googleapis.com/examples.OrderTracked",
    ]);
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toStartWith("failed to decode examples.PaymentSubmitted");
    expect(skipped[1]).toBe("not handled: examples.NotAnEvent");
  });

  test("an order root that is not 16 bytes never binds", () => {
    const trigger = sourceBook({ domain: "order", root: new Uint8Array(15), correlationId: "corr-1" }, [
      packable(
        OrderCreatedSchema,
        create(OrderCreatedSchema, { customerId: "CUST-001", items: [line("SKU-001", 1)] }),
      ),
    ]);
    expect(pm.prepare(trigger, undefined)).toEqual([]);
    expect(pm.handle(trigger, undefined, []).processEvents).toBeUndefined();
  });
});
