// Asking what a step of the business would do, without it happening: dry runs of requests and
// speculative runs of the automatic steps (sagas, the order-fulfillment process, the reports).
import {
  AnyPayload,
  type CommandBook,
  Covers,
  type EventBook,
  EventBookSchema,
  EventBooks,
  EventPages,
  type Projection,
  TemporalQuerySchema,
} from "@angzarr/proto";
import {
  CancelOrderSchema,
  CreateShipmentSchema,
  DispatchIssuedSchema,
  ItemsPackedSchema,
  OrderCompletedSchema,
  OrderSummarySchema,
  PrerequisiteCompletedSchema,
  ReserveStockSchema,
  ShipSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, Then, When } from "@cucumber/cucumber";
import { readOrderSummary } from "../../../domains/prj-order-summary/projector";
import { PM_DOMAIN, payInFull, processRoot, stockReport } from "./domain";
import { type AcceptanceWorld, eventNames, eventually, expect, expectEqual } from "./world";

/** What the last speculative question answered. */
interface Speculation {
  commands: CommandBook[];
  events: EventBook[];
  projection?: Projection;
}

const answers = new WeakMap<AcceptanceWorld, Speculation>();
const asked = (world: AcceptanceWorld): Speculation => {
  const answer = answers.get(world);
  if (!answer) throw new Error("nothing was asked yet");
  return answer;
};
const commandName = (c: CommandBook) => AnyPayload.nameOf(c.pages[0]?.command).replace(/^examples\./, "");

/** A dry-run cancellation against the order as it stood after its event number `asOf` (1 = first). */
async function tryCancellation(world: AcceptanceWorld, label: string, asOf: number, expecting: number) {
  const order = world.order(label);
  const command = {
    cover: Covers.make({ domain: "order", root: order.root, correlationId: order.workflow }),
    pages: [
      {
        sequence: expecting,
        command: AnyPayload.pack(CancelOrderSchema, create(CancelOrderSchema, { reason: "what if" })),
      },
    ],
  };
  await world.attemptCall(async () => {
    const response = await world.backend.speculative.dryRunCommand({
      command,
      pointInTime: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: asOf - 1 } }),
    });
    answers.set(world, { commands: [], events: response.events ? [response.events] : [] });
  });
}

When(
  "a cancellation of order {string} is tried as of its event number {int}",
  async function (this: AcceptanceWorld, label: string, number: number) {
    // As of event n the order's next event is number n + 1, i.e. sequence n.
    await tryCancellation(this, label, number, number);
  },
);

When(
  "a cancellation of order {string} is tried as of its event number {int}, expecting its event number {int}",
  async function (this: AcceptanceWorld, label: string, number: number, expecting: number) {
    await tryCancellation(this, label, number, expecting);
  },
);

Then("the answer is that the order would be cancelled", function (this: AcceptanceWorld) {
  this.lastResponse();
  expectEqual(asked(this).events.flatMap(eventNames), ["OrderCancelled"], "events the dry run would record");
});

Then(
  "order {string} still has {int} events",
  async function (this: AcceptanceWorld, label: string, count: number) {
    const book = await this.backend.history("order", this.order(label).root);
    expectEqual(book.pages.length, count, `events of order ${label}`);
  },
);

When(
  "the shipping step is asked what it would do if order {string} were completed",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const history = await this.backend.history("order", order.root);
    const next = EventBooks.nextSequence(history);
    const completion = AnyPayload.pack(
      OrderCompletedSchema,
      create(OrderCompletedSchema, { finalTotalCents: 1000, paymentMethod: "card", items: [] }),
    );
    const source = create(EventBookSchema, {
      cover: Covers.make({ domain: "order", root: order.root, correlationId: order.workflow }),
      pages: [EventPages.numbered(next, completion)],
    });
    const response = await this.backend.speculative.speculateSaga({
      sagaName: "saga-order-fulfillment",
      source,
    });
    answers.set(this, { commands: response.commands, events: response.events });
  },
);

Then("it would open a shipment for order {string}", function (this: AcceptanceWorld, label: string) {
  const { commands } = asked(this);
  expectEqual(commands.map(commandName), ["CreateShipment"], "commands it would send");
  const shipment = AnyPayload.unpack(commands[0]?.pages[0]?.command, CreateShipmentSchema);
  expectEqual(shipment.orderId, this.order(label).id, "order id of the shipment");
});

Then("no shipment exists for order {string}", async function (this: AcceptanceWorld, label: string) {
  const book = await this.backend.history("fulfillment", this.order(label).root);
  expectEqual(book.pages.length, 0, "shipment events");
});

When(
  "the stock step is asked what it would do for order {string}",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    // The order as stored: the runtime reads it (a cover without pages).
    const source = create(EventBookSchema, {
      cover: Covers.make({ domain: "order", root: order.root, correlationId: order.workflow }),
    });
    const response = await this.backend.speculative.speculateSaga({
      sagaName: "saga-order-inventory",
      source,
    });
    answers.set(this, { commands: response.commands, events: response.events });
  },
);

Then(
  "it would hold {int} {string} for order {string}",
  function (this: AcceptanceWorld, quantity: number, sku: string, label: string) {
    const { commands } = asked(this);
    expectEqual(commands.map(commandName), ["ReserveStock"], "commands it would send");
    const reserve = AnyPayload.unpack(commands[0]?.pages[0]?.command, ReserveStockSchema);
    expectEqual([reserve.quantity, reserve.orderId], [quantity, this.order(label).id], "the hold");
    expect(
      Buffer.compare(commands[0]?.cover?.root?.value ?? new Uint8Array(), this.product(sku).root) === 0,
      `the hold is not addressed to ${sku}`,
    );
  },
);

Then(
  "the stock report still shows {string} with {int} available",
  function (this: AcceptanceWorld, sku: string, available: number) {
    expectEqual(stockReport(this, this.product(sku)).available, available, `available ${sku}`);
  },
);

Given(
  "within {int} seconds the order-fulfillment process of order {string} has taken up its payment and stock",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const workflow = this.order(label).workflow;
    await eventually(seconds, async () => {
      const book = await this.backend.history(PM_DOMAIN, processRoot(workflow));
      const done = book.pages
        .filter((p) => AnyPayload.is(p.event, PrerequisiteCompletedSchema))
        .map((p) => AnyPayload.unpack(p.event, PrerequisiteCompletedSchema).prerequisite);
      expect(
        done.includes("payment") && done.includes("inventory"),
        `the process has recorded only ${JSON.stringify(done)}`,
      );
    });
  },
);

When(
  "the order-fulfillment process is asked what it would do if the shipment of order {string} were packed",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const shipment = await this.backend.history("fulfillment", order.root);
    const packed = EventPages.numbered(
      EventBooks.nextSequence(shipment),
      AnyPayload.pack(ItemsPackedSchema, create(ItemsPackedSchema, { packerId: "what-if" })),
    );
    const trigger = create(EventBookSchema, {
      cover: Covers.make({ domain: "fulfillment", root: order.root, correlationId: order.workflow }),
      pages: [...shipment.pages, packed],
    });
    const response = await this.backend.speculative.speculateProcessManager({
      pmName: "pmg-order-fulfillment",
      trigger,
    });
    answers.set(this, {
      commands: response.commands,
      events: response.processEvents ? [response.processEvents] : [],
    });
  },
);

Then(
  "it would record the dispatch and ship the parcel of order {string}",
  function (this: AcceptanceWorld, label: string) {
    const { commands, events } = asked(this);
    expect(
      events.some((b) => b.pages.some((p) => AnyPayload.is(p.event, DispatchIssuedSchema))),
      `no dispatch among ${JSON.stringify(events.flatMap(eventNames))}`,
    );
    expectEqual(commands.map(commandName), ["Ship"], "commands it would send");
    AnyPayload.unpack(commands[0]?.pages[0]?.command, ShipSchema);
    expect(
      Buffer.compare(commands[0]?.cover?.root?.value ?? new Uint8Array(), this.order(label).root) === 0,
      "the parcel is not the order's shipment",
    );
  },
);

Then(
  "the order-fulfillment process of order {string} has recorded no dispatch",
  async function (this: AcceptanceWorld, label: string) {
    const book = await this.backend.history(PM_DOMAIN, processRoot(this.order(label).workflow));
    expect(!eventNames(book).includes("DispatchIssued"), "the process recorded a dispatch");
  },
);

When(
  "order {string} is paid in full by {string}, waiting for the reports",
  async function (this: AcceptanceWorld, label: string, method: string) {
    const order = this.order(label);
    await this.attempt(() => payInFull(this, order, method, { syncMode: 1 }));
  },
);

When(
  "the order report is asked what it would answer for that payment",
  async function (this: AcceptanceWorld) {
    const payment = this.lastResponse().events;
    const response = await this.backend.speculative.speculateProjector({
      projectorName: "projector-order-summary",
      events: payment,
    });
    answers.set(this, { commands: [], events: [], projection: response });
  },
);

Then("it answers what the reply to the payment said", function (this: AcceptanceWorld) {
  const real = this.lastResponse().projections.find((p) => p.projector === "projector-order-summary");
  const speculative = asked(this).projection;
  expect(real !== undefined, "the reply carried no order report");
  expectEqual(speculative?.sequence, real.sequence, "sequence reported");
  const summary = AnyPayload.unpack(speculative?.projection, OrderSummarySchema);
  expectEqual(summary, AnyPayload.unpack(real.projection, OrderSummarySchema), "the order summary");
  expectEqual(summary.status, "payment_submitted", "status in the summary");
});

Then(
  "the order report of order {string} is unchanged since the payment",
  function (this: AcceptanceWorld, label: string) {
    const row = this.backend.readModel("projector-order-summary", (db) =>
      readOrderSummary(db, this.order(label).root),
    );
    expect(row !== undefined, "no order report row");
    expectEqual([row.status, row.last_sequence], ["payment_submitted", 1], "the order report row");
  },
);

When("the {string} step is asked what it would do", async function (this: AcceptanceWorld, name: string) {
  await this.attemptCall(() =>
    this.backend.speculative.speculateSaga({
      sagaName: name,
      source: create(EventBookSchema, { cover: Covers.make({ domain: "order", root: new Uint8Array(16) }) }),
    }),
  );
});
