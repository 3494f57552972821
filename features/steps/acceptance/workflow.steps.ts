// Workflows (correlation ids), the order and loyalty reports, and checks that something never
// happened, which are only meaningful once the system has gone quiet.
import { Covers, type EventBook, Uuid } from "@angzarr/proto";
import {
  DispatchIssuedSchema,
  LoyaltyPointsAddedSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  ShipmentCreatedSchema,
  ShippedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Then } from "@cucumber/cucumber";
import { readLoyalty } from "../../../domains/prj-customer-loyalty/projector";
import { readOrderSummary, readReceipt } from "../../../domains/prj-order-summary/projector";
import { PM_DOMAIN, processRoot, quiet, shipmentsOpened } from "./domain";
import {
  type AcceptanceWorld,
  eventsOf,
  eventually,
  expect,
  expectEqual,
  type OrderRef,
  sequencesOf,
} from "./world";

const DOMAIN_WORDS: Record<string, string> = {
  order: "order",
  stock: "inventory",
  shipment: "fulfillment",
  customer: "customer",
  "order-fulfillment process": PM_DOMAIN,
};

const keyOf = (domain: string, root: Uint8Array) => `${domain}/${Uuid.toText(root)}`;

function bookKey(book: EventBook): string {
  const root = Covers.rootBytes(book.cover);
  return root ? keyOf(book.cover?.domain ?? "", root) : "";
}

/** The workflow's books, by domain/root. */
async function workflowBooks(world: AcceptanceWorld, workflow: string): Promise<Map<string, EventBook>> {
  const books = await world.backend.byCorrelation(workflow);
  return new Map(books.map((b) => [bookKey(b), b]));
}

/** The numbers of `book`'s events of one type that satisfy `about`. */
function numbersOf<D extends DescMessage>(
  book: EventBook,
  schema: D,
  about: (event: MessageShape<D>) => boolean,
): number[] {
  return eventsOf(book, schema)
    .filter((e) => about(e.event))
    .map((e) => e.sequence);
}

/**
 * Every event the order caused, as (domain/root → event numbers): the whole history of the order,
 * its shipment and its order-fulfillment process, the stock movements for it and the loyalty
 * credits that name it.
 */
async function causedBy(world: AcceptanceWorld, order: OrderRef): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const history = (domain: string, root: Uint8Array) => world.backend.history(domain, root);
  out.set(keyOf("order", order.root), sequencesOf(await history("order", order.root)));
  out.set(keyOf("fulfillment", order.root), sequencesOf(await history("fulfillment", order.root)));
  const pm = processRoot(order.workflow);
  out.set(keyOf(PM_DOMAIN, pm), sequencesOf(await history(PM_DOMAIN, pm)));
  for (const product of order.products) {
    const book = await history("inventory", product.root);
    const mine = (e: { orderId: string }) => e.orderId === order.id;
    out.set(
      keyOf("inventory", product.root),
      [
        ...numbersOf(book, StockReservedSchema, mine),
        ...numbersOf(book, ReservationReleasedSchema, mine),
        ...numbersOf(book, ReservationCommittedSchema, mine),
      ].sort((a, b) => a - b),
    );
  }
  if (order.customer) {
    const book = await history("customer", order.customer.root);
    out.set(
      keyOf("customer", order.customer.root),
      numbersOf(book, LoyaltyPointsAddedSchema, (e) => e.reason.includes(order.id)),
    );
  }
  return out;
}

Then(
  "everything order {string} caused belongs to workflow {string}",
  async function (this: AcceptanceWorld, label: string, workflow: string) {
    const order = this.order(label);
    const id = this.workflow(workflow);
    expectEqual(order.workflow, id, `workflow order ${label} was placed in`);
    const books = await workflowBooks(this, id);
    const caused = await causedBy(this, order);
    expect((caused.get(keyOf("order", order.root)) ?? []).length > 0, `order ${label} has no events`);
    for (const [key, numbers] of caused) {
      const inWorkflow = new Set(sequencesOf(books.get(key)));
      const outside = numbers.filter((n) => !inWorkflow.has(n));
      expect(
        outside.length === 0,
        `events ${outside.join(", ")} of ${key} do not carry workflow ${workflow}`,
      );
    }
  },
);

Then(
  "nothing recorded for order {string} belongs to workflow {string}",
  async function (this: AcceptanceWorld, label: string, workflow: string) {
    const order = this.order(label);
    const books = await workflowBooks(this, this.workflow(workflow));
    const caused = await causedBy(this, order);
    for (const [key, numbers] of caused) {
      const inWorkflow = new Set(sequencesOf(books.get(key)));
      const leaked = numbers.filter((n) => inWorkflow.has(n));
      expect(leaked.length === 0, `events ${leaked.join(", ")} of ${key} carry workflow ${workflow}`);
    }
  },
);

Then(
  "the shipment of order {string} was opened in workflow {string}",
  async function (this: AcceptanceWorld, label: string, workflow: string) {
    const order = this.order(label);
    const books = await workflowBooks(this, this.workflow(workflow));
    const book = books.get(keyOf("fulfillment", order.root));
    expectEqual(
      eventsOf(book, ShipmentCreatedSchema).length,
      1,
      `shipments of order ${label} in ${workflow}`,
    );
  },
);

async function checkWorkflowReach(world: AcceptanceWorld, workflow: string, words: string) {
  const wanted = words
    .replace(/^the /, "")
    .split(/, the | and the /)
    .map((w) => {
      const domain = DOMAIN_WORDS[w];
      if (domain === undefined) throw new Error(`unknown kind of record: ${w}`);
      return domain;
    });
  const books = await world.backend.byCorrelation(world.workflow(workflow));
  const found = new Set(books.filter((b) => b.pages.length > 0).map((b) => b.cover?.domain ?? ""));
  const missing = wanted.filter((d) => !found.has(d));
  expect(
    missing.length === 0,
    `workflow ${workflow} has no ${missing.join(", ")} records (has ${[...found]})`,
  );
}

Then(
  "looking up workflow {string} finds records of {}",
  async function (this: AcceptanceWorld, workflow: string, words: string) {
    await checkWorkflowReach(this, workflow, words);
  },
);

Then(
  "within {int} seconds looking up workflow {string} finds records of {}",
  async function (this: AcceptanceWorld, seconds: number, workflow: string, words: string) {
    await eventually(seconds, () => checkWorkflowReach(this, workflow, words));
  },
);

Then("the order's first event carries a workflow id chosen by the system", function (this: AcceptanceWorld) {
  const response = this.lastResponse();
  const assigned = response.events?.cover?.correlationId ?? "";
  expect(assigned !== "", "the reply carries no workflow id");
  expect(response.events?.pages.length === 1, "the order was not recorded");
});

Then(
  "the stock held for order {string} shares the workflow id the system chose",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const assigned = this.lastResponse().events?.cover?.correlationId ?? "";
    expectEqual(order.workflow, assigned, "workflow followed by the order");
    const books = await workflowBooks(this, assigned);
    const orderBook = books.get(keyOf("order", order.root));
    expectEqual(sequencesOf(orderBook), [0], `order events in the assigned workflow`);
    for (const product of order.products) {
      const book = books.get(keyOf("inventory", product.root));
      const holds = eventsOf(book, StockReservedSchema).filter((e) => e.event.orderId === order.id);
      expectEqual(holds.length, 1, `holds of ${product.sku} in the assigned workflow`);
    }
  },
);

Then(
  "within {int} seconds {string} is credited for order {string} with a note mentioning {string}",
  async function (this: AcceptanceWorld, seconds: number, email: string, label: string, word: string) {
    const customer = this.customer(email);
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history("customer", customer.root);
      const credits = eventsOf(book, LoyaltyPointsAddedSchema).filter((e) =>
        e.event.reason.includes(order.id),
      );
      expect(credits.length > 0, `${email} has not been credited for order ${label} yet`);
      expectEqual(credits.length, 1, `credits for order ${label}`);
      const reason = credits[0]?.event.reason ?? "";
      expect(reason.includes(word), `the credit note ${JSON.stringify(reason)} does not mention ${word}`);
    });
  },
);

Then(
  "within {int} seconds the order report shows order {string} completed, with a receipt for {int} points",
  async function (this: AcceptanceWorld, seconds: number, label: string, points: number) {
    const order = this.order(label);
    await eventually(seconds, () => {
      const found = this.backend.readModel("projector-order-summary", (db) => ({
        summary: readOrderSummary(db, order.root),
        receipt: readReceipt(db, order.root),
      }));
      expect(found?.summary !== undefined, `the order report has no row for ${label} yet`);
      expectEqual(found.summary.status, "completed", `status of order ${label} in the report`);
      expectEqual(found.summary.loyalty_points_earned, points, "points in the report");
      expect(found.receipt !== undefined, `the order report has no receipt for ${label}`);
      expectEqual(found.receipt.receipt.loyaltyPointsEarned, points, "points on the receipt");
      expectEqual(found.receipt.receipt.orderId, order.id, "order id on the receipt");
      const text = found.receipt.row.formatted_text;
      expect(text.includes(`Loyalty points earned: ${points}`), `receipt text lacks the points: ${text}`);
    });
  },
);

Then(
  "within {int} seconds the order report shows order {string} cancelled",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const order = this.order(label);
    await eventually(seconds, () => {
      const summary = this.backend.readModel("projector-order-summary", (db) =>
        readOrderSummary(db, order.root),
      );
      expect(summary !== undefined, `the order report has no row for ${label} yet`);
      expectEqual(summary.status, "cancelled", `status of order ${label} in the report`);
    });
  },
);

Then(
  "within {int} seconds the loyalty report shows {string} with {int} points",
  async function (this: AcceptanceWorld, seconds: number, email: string, points: number) {
    const customer = this.customer(email);
    await eventually(seconds, () => {
      const row = this.backend.readModel("projector-customer-loyalty", (db) =>
        readLoyalty(db, customer.root),
      );
      expect(row !== undefined, `the loyalty report has no row for ${email} yet`);
      expectEqual(row.current_points, points, `points of ${email} in the loyalty report`);
    });
  },
);

Then(
  "once everything has settled, no shipment exists for order {string}",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    await quiet(this, order);
    const book = await this.backend.history("fulfillment", order.root);
    expectEqual(book.pages.length, 0, `events of the shipment of order ${label}`);
  },
);

Then(
  "once everything has settled, exactly {int} shipment(s) was/were opened for order {string}",
  async function (this: AcceptanceWorld, count: number, label: string) {
    const order = this.order(label);
    await quiet(this, order);
    expectEqual((await shipmentsOpened(this, order)).length, count, `shipments opened for order ${label}`);
  },
);

Then(
  "the order-fulfillment process of order {string} never dispatched anything",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const book = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
    expect(book.pages.length > 0, `the order-fulfillment process never heard of order ${label}`);
    expectEqual(eventsOf(book, DispatchIssuedSchema).length, 0, "dispatches");
    const shipment = await this.backend.history("fulfillment", order.root);
    expectEqual(eventsOf(shipment, ShippedSchema).length, 0, "departures");
  },
);
