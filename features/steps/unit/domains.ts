// The six aggregates as the features name them, each wrapped in a typed driver that runs the
// SDK's given/when/then kit with the world's history.
import { CommandBookSchema, ContextualCommandSchema, Identity, Uuid } from "@angzarr/proto";
import { type Aggregate, ConnectError, type Outcome, spec } from "@angzarr/sdk";
import {
  create,
  type DescMessage,
  equals,
  isMessage,
  type Message,
  type MessageShape,
  toJsonString,
} from "@bufbuild/protobuf";
import { cartAggregate } from "../../../domains/cart/agg/aggregate.ts";
import { customerAggregate } from "../../../domains/customer/agg/aggregate.ts";
import { fulfillmentAggregate } from "../../../domains/fulfillment/agg/aggregate.ts";
import { inventoryAggregate } from "../../../domains/inventory/agg/aggregate.ts";
import { orderAggregate } from "../../../domains/order/agg/aggregate.ts";
import { productAggregate } from "../../../domains/product/agg/aggregate.ts";
import type { DomainDriver, History, UnitWorld } from "../../support/unit-world.ts";

export class TypedDomain<SD extends DescMessage> implements DomainDriver {
  constructor(
    readonly word: string,
    private readonly aggregate: Aggregate<SD>,
    private readonly root: Uint8Array,
  ) {}

  private asState(state: Message): MessageShape<SD> {
    const schema = this.aggregate.definition.state;
    if (!isMessage(state, schema)) throw new Error(`${state.$typeName} is not ${schema.typeName}`);
    return state;
  }

  private specFor(history: History) {
    const s = spec(this.aggregate, this.root);
    if (history.snapshot) s.givenSnapshot(history.snapshot.sequence, this.asState(history.snapshot.state));
    return s.given(...history.pages);
  }

  decide(history: History, command: Message): Outcome<Message> {
    return this.specFor(history).when(command);
  }

  decideEmpty(history: History): Outcome<Message> {
    const s = this.specFor(history);
    const book = s.history();
    const prior = s.state();
    try {
      this.aggregate.handle(
        create(ContextualCommandSchema, {
          events: book,
          command: create(CommandBookSchema, { ...(book.cover ? { cover: book.cover } : {}) }),
        }),
      );
      throw new Error("a request with no instruction in it was accepted");
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      return { events: [], sequences: [], state: prior, error: err };
    }
  }

  rebuild(history: History): MessageShape<SD> {
    return this.specFor(history).state();
  }

  assertSameState(what: string, actual: Message, expected: Message): void {
    const schema = this.aggregate.definition.state;
    const a = this.asState(actual);
    const e = this.asState(expected);
    if (equals(schema, a, e)) return;
    throw new Error(
      `${what} differ:\n  got      ${toJsonString(schema, a)}\n  expected ${toJsonString(schema, e)}`,
    );
  }

  assertReportedStateConsistent(history: History, outcome: Outcome<Message>): void {
    this.specFor(history).expectSnapshotConsistent({ ...outcome, state: this.asState(outcome.state) });
  }

  /** The typed state the world's current history rebuilds to. */
  state(world: UnitWorld): MessageShape<SD> {
    world.use(this);
    return this.rebuild(world.history());
  }
}

/** The order used throughout: its number, root and the order id every other domain sees. */
export const ORDER_NUMBER = "ORD-001";
export const ORDER_ROOT = Identity.orderRoot(ORDER_NUMBER);
export const ORDER_ID = Uuid.toText(ORDER_ROOT);

export const cart = new TypedDomain("cart", cartAggregate, Identity.cartRoot("CUST-001"));
export const customer = new TypedDomain(
  "customer",
  customerAggregate,
  Identity.customerRoot("alice@example.com"),
);
export const product = new TypedDomain("product", productAggregate, Identity.productRoot("SKU-001"));
export const order = new TypedDomain("order", orderAggregate, ORDER_ROOT);
export const inventory = new TypedDomain("inventory", inventoryAggregate, Identity.inventoryRoot("SKU-001"));
export const shipment = new TypedDomain(
  "shipment",
  fulfillmentAggregate,
  Identity.fulfillmentRoot(ORDER_ROOT),
);

const byWord = new Map<string, DomainDriver>(
  [cart, customer, product, order, inventory, shipment].map((d) => [d.word, d]),
);

export const DOMAIN_WORDS = [...byWord.keys()];

export function domainNamed(word: string): DomainDriver {
  const driver = byWord.get(word);
  if (!driver) throw new Error(`unknown aggregate "${word}"; known: ${DOMAIN_WORDS.join(", ")}`);
  return driver;
}
