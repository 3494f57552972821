// pmg-order-fulfillment (example-domains §4): one order per correlation id. The PM binds to the
// order from the triggering history, records payment, inventory and fulfillment as they become
// satisfied, and sends exactly one Ship to the recorded shipment root once all three hold.
// State lives in domain `order-fulfillment` at uuidv5(OID, correlation id).
import { type CommandBook, type Cover, Covers, type EventBook, Identity, Uuid } from "@angzarr/proto";
import {
  DeliveredSchema,
  DispatchIssuedSchema,
  ItemsPackedSchema,
  ItemsPickedSchema,
  LowStockAlertSchema,
  LoyaltyDiscountAppliedSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
  type OrderFulfillmentState,
  OrderFulfillmentStateSchema,
  OrderTrackedSchema,
  PaymentSubmittedSchema,
  PrerequisiteCompletedSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  ShipmentCreatedSchema,
  ShippedSchema,
  ShipSchema,
  StockInitializedSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import {
  commandFor,
  defineProcessManager,
  EventTypes,
  HistoryFold,
  isEvent,
  logSkippedPage,
  on,
  type SkipHandler,
} from "@angzarr/sdk";
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { distinctProducts } from "../shared/distinct-products";

export const PM_NAME = "pmg-order-fulfillment";
export const STATE_DOMAIN = "order-fulfillment";
/** Prerequisites in canonical order. */
export const PREREQUISITES = ["payment", "inventory", "fulfillment"] as const;
export type Prerequisite = (typeof PREREQUISITES)[number];

/** Every event type of the three input domains (the PM subscribes to all of them). */
export const INPUTS: { domain: string; events: DescMessage[] }[] = [
  {
    domain: "order",
    events: [
      OrderCreatedSchema,
      LoyaltyDiscountAppliedSchema,
      PaymentSubmittedSchema,
      OrderCompletedSchema,
      OrderCancelledSchema,
    ],
  },
  {
    domain: "inventory",
    events: [
      StockInitializedSchema,
      StockReceivedSchema,
      StockReservedSchema,
      ReservationReleasedSchema,
      ReservationCommittedSchema,
      LowStockAlertSchema,
    ],
  },
  {
    domain: "fulfillment",
    events: [ShipmentCreatedSchema, ItemsPickedSchema, ItemsPackedSchema, ShippedSchema, DeliveredSchema],
  },
];

interface Binding {
  orderId: string;
  productIds: string[];
}

/** What one aggregate history (the trigger or a Prepare destination) tells the PM. */
interface History {
  domain: string;
  /** The cover root when it is 16 bytes. */
  root: Uint8Array | undefined;
  /** Order from `OrderCreated` (order) or `ShipmentCreated` (fulfillment); never for inventory. */
  binding: Binding | undefined;
  /** order: the history has `PaymentSubmitted`. */
  paid: boolean;
  /** fulfillment: the history has `ItemsPacked`. */
  packed: boolean;
  /** inventory: order ids holding a `StockReserved`. */
  reservedFor: Set<string>;
}

const inCanonicalOrder = (names: Iterable<string>): string[] => {
  const set = new Set(names);
  return PREREQUISITES.filter((p) => set.has(p));
};

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && Buffer.compare(a, b) === 0;

export interface OrderFulfillmentPmOptions {
  /** Hears about skipped pages (unknown type or undecodable). Default: a structured stderr line. */
  onSkip?: SkipHandler;
}

export function createOrderFulfillmentPm(options: OrderFulfillmentPmOptions = {}) {
  const types = new EventTypes(INPUTS.flatMap((i) => i.events));
  const onSkip = options.onSkip ?? logSkippedPage(PM_NAME);

  // The histories come back a page longer on every event: what was read from them is kept
  // (HistoryFold) and only the new pages are read.
  const histories = new HistoryFold<History>({
    types,
    onSkip,
    initial: (cover) => {
      const root = cover?.root?.value;
      return {
        domain: cover?.domain ?? "",
        root: Uuid.isValid(root) ? root : undefined,
        binding: undefined,
        paid: false,
        packed: false,
        reservedFor: new Set(),
      };
    },
    copy: (history) => ({ ...history, reservedFor: new Set(history.reservedFor) }),
    step: (history, { event }) => {
      const domain = history.domain;
      if (domain === "order" && history.root && isEvent(event, OrderCreatedSchema)) {
        history.binding ??= {
          orderId: Uuid.toText(history.root),
          productIds: distinctProducts(event.items).map((p) => p.productId),
        };
      } else if (domain === "order" && isEvent(event, PaymentSubmittedSchema)) {
        history.paid = true;
      } else if (domain === "fulfillment" && isEvent(event, ShipmentCreatedSchema) && event.orderId !== "") {
        history.binding ??= {
          orderId: event.orderId,
          productIds: distinctProducts(event.items).map((p) => p.productId),
        };
      } else if (domain === "fulfillment" && isEvent(event, ItemsPackedSchema)) {
        history.packed = true;
      } else if (domain === "inventory" && isEvent(event, StockReservedSchema)) {
        history.reservedFor.add(event.orderId);
      }
    },
  });
  const read = (book: EventBook): History => histories.read(book);

  /**
   * The order this trigger works for: the bound one (a trigger binding another order is ignored),
   * else the trigger's own binding. Undefined when there is nothing to work for.
   */
  const resolve = (
    state: OrderFulfillmentState,
    trigger: History,
  ): { binding: Binding; newlyBound: boolean } | undefined => {
    if (state.orderId !== "") {
      if (trigger.binding && trigger.binding.orderId !== state.orderId) return undefined;
      return { binding: { orderId: state.orderId, productIds: state.productIds }, newlyBound: false };
    }
    return trigger.binding ? { binding: trigger.binding, newlyBound: true } : undefined;
  };

  const isSatisfied = (
    prerequisite: Prerequisite,
    binding: Binding,
    trigger: History,
    inventory: History[],
  ): { sourceRoot: Uint8Array } | undefined => {
    switch (prerequisite) {
      case "payment":
        return trigger.domain === "order" &&
          trigger.root &&
          Uuid.toText(trigger.root) === binding.orderId &&
          trigger.paid
          ? { sourceRoot: trigger.root }
          : undefined;
      case "inventory":
        return binding.productIds.every((productId) => {
          const root = Identity.inventoryRoot(productId);
          return inventory.some((h) => sameBytes(h.root, root) && h.reservedFor.has(binding.orderId));
        })
          ? { sourceRoot: new Uint8Array() }
          : undefined;
      case "fulfillment":
        return trigger.domain === "fulfillment" &&
          trigger.root &&
          trigger.binding?.orderId === binding.orderId &&
          trigger.packed
          ? { sourceRoot: trigger.root }
          : undefined;
    }
  };

  return defineProcessManager({
    name: PM_NAME,
    stateDomain: STATE_DOMAIN,
    rootFor: Identity.processManagerRoot,
    inputs: INPUTS,
    state: OrderFulfillmentStateSchema,
    events: [
      on(OrderTrackedSchema, (s: OrderFulfillmentState, e) => {
        s.orderId = e.orderId;
        s.productIds = [...e.productIds];
      }),
      on(PrerequisiteCompletedSchema, (s: OrderFulfillmentState, e) => {
        s.completed = inCanonicalOrder([...s.completed, e.prerequisite]);
        if (e.prerequisite === "fulfillment") s.fulfillmentRoot = e.sourceRoot;
      }),
      on(DispatchIssuedSchema, (s: OrderFulfillmentState) => {
        s.dispatched = true;
      }),
    ],

    prepare(triggerBook, state): Cover[] {
      const correlationId = triggerBook.cover?.correlationId ?? "";
      if (correlationId === "" || state.dispatched || state.completed.includes("inventory")) return [];
      const trigger = read(triggerBook);
      const resolved = resolve(state, trigger);
      if (!resolved) return [];
      return resolved.binding.productIds
        .map((productId) => Identity.inventoryRoot(productId))
        .filter((root) => !(trigger.domain === "inventory" && sameBytes(trigger.root, root)))
        .map((root) => Covers.make({ domain: "inventory", root, correlationId }));
    },

    handle(triggerBook, state, destinations) {
      // 1. Exactly once: nothing without a correlation id or after dispatch.
      const correlationId = triggerBook.cover?.correlationId ?? "";
      if (correlationId === "" || state.dispatched) return {};
      const trigger = read(triggerBook);
      const resolved = resolve(state, trigger);
      if (!resolved) return {};
      const { binding } = resolved;
      const events: Message[] = [];

      // 2. Bind.
      if (resolved.newlyBound) {
        events.push(create(OrderTrackedSchema, { orderId: binding.orderId, productIds: binding.productIds }));
      }

      // 3. Prerequisites now satisfied, in canonical order.
      const inventory = [trigger, ...destinations.map(read)].filter((h) => h.domain === "inventory");
      const completed = new Set<string>(state.completed);
      let fulfillmentRoot = state.fulfillmentRoot;
      for (const prerequisite of PREREQUISITES) {
        if (completed.has(prerequisite)) continue;
        const satisfied = isSatisfied(prerequisite, binding, trigger, inventory);
        if (!satisfied) continue;
        completed.add(prerequisite);
        if (prerequisite === "fulfillment") fulfillmentRoot = satisfied.sourceRoot;
        events.push(
          create(PrerequisiteCompletedSchema, {
            prerequisite,
            completed: inCanonicalOrder(completed),
            remaining: PREREQUISITES.filter((p) => !completed.has(p)),
            sourceRoot: satisfied.sourceRoot,
          }),
        );
      }

      // 4. Dispatch once, to the recorded shipment root.
      const commands: CommandBook[] = [];
      if (PREREQUISITES.every((p) => completed.has(p)) && Uuid.isValid(fulfillmentRoot)) {
        events.push(
          create(DispatchIssuedSchema, {
            completed: inCanonicalOrder(completed),
            fulfillmentRoot,
            orderId: binding.orderId,
          }),
        );
        commands.push(
          commandFor(
            { domain: "fulfillment", root: fulfillmentRoot, correlationId },
            ShipSchema,
            create(ShipSchema, { carrier: `auto-${Uuid.toText(fulfillmentRoot)}`, trackingNumber: "" }),
          ),
        );
      }
      return { commands, events };
    },
  });
}

export const orderFulfillmentPm = createOrderFulfillmentPm();
