// Garbled requests, a crashing order service, a lossy message bus; and what the reply holds when
// the caller waits for the reports.
import { AnyPayload, type EventBook, TypeUrl } from "@angzarr/proto";
import {
  OrderCompletedSchema,
  PaymentSubmittedSchema,
  ReceiptSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Given, Then, When } from "@cucumber/cucumber";
import { confirmPayment, noteRecorded, payInFull } from "./domain";
import {
  type AcceptanceWorld,
  describeError,
  eventsOf,
  eventually,
  expect,
  expectEqual,
  type OrderRef,
} from "./world";

const ORDER_PROGRAM = "agg-order";
const SHIPPING_SAGA = "saga-order-fulfillment";

function embedded(world: AcceptanceWorld) {
  const controls = world.backend.embedded;
  if (!controls)
    throw new Error("this step needs the runtime in this process (ANGZARR_TEST_MODE=standalone)");
  return controls;
}

When(
  "a payment for order {string} arrives garbled as the bytes {}",
  async function (this: AcceptanceWorld, label: string, hex: string) {
    const order = this.order(label);
    const bytes = Uint8Array.from(hex.trim().split(/\s+/), (b) => Number.parseInt(b, 16));
    const payload = create(AnySchema, {
      typeUrl: TypeUrl.forName(SubmitPaymentSchema.typeName),
      value: bytes,
    });
    await this.attempt(() => this.sendPayload("order", order.root, payload, { workflow: order.workflow }));
  },
);

Then(
  "the request is rejected as invalid with a message starting {string}",
  function (this: AcceptanceWorld, start: string) {
    const err = this.lastError();
    expect(
      err.code === Code.InvalidArgument,
      `expected an invalid-request refusal, got ${describeError(err)}`,
    );
    expect(
      err.rawMessage.toLowerCase().startsWith(start.toLowerCase()),
      `the message ${JSON.stringify(err.rawMessage)} does not start with ${JSON.stringify(start)}`,
    );
  },
);

// A crashing order service.

interface Crash {
  pid: number;
  /** What the client had been told was recorded for the order just before the crash. */
  paymentRecorded: boolean;
  /** The order's recorded count before its next step. */
  before: number;
}
const crashes = new WeakMap<AcceptanceWorld, Crash>();

When("the order service crashes", function (this: AcceptanceWorld) {
  crashes.set(this, { pid: embedded(this).kill(ORDER_PROGRAM), paymentRecorded: false, before: 0 });
});

When(
  "order {string} is paid in full by {string} straight away",
  async function (this: AcceptanceWorld, label: string, method: string) {
    await this.attempt(() => payInFull(this, this.order(label), method));
  },
);

Then("the payment was either refused as unavailable or recorded", function (this: AcceptanceWorld) {
  const crash = crashes.get(this);
  if (!crash) throw new Error("nothing crashed in this scenario");
  const last = this.last;
  if (!last) throw new Error("no payment was sent");
  if (last.ok) {
    crash.paymentRecorded = true;
    return;
  }
  expect(last.error.code === Code.Unavailable, `refused for another reason: ${describeError(last.error)}`);
});

Then(
  "within {int} seconds the order service is running again",
  async function (this: AcceptanceWorld, seconds: number) {
    const crash = crashes.get(this);
    if (!crash) throw new Error("nothing crashed in this scenario");
    const controls = embedded(this);
    await eventually(seconds, () => {
      const pid = controls.pid(ORDER_PROGRAM);
      expect(controls.ready(ORDER_PROGRAM) && pid !== crash.pid, `${ORDER_PROGRAM} is not back yet`);
    });
  },
);

Then(
  "order {string} still has everything it was told was recorded",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const book = await this.backend.history("order", order.root);
    expectEqual(book.pages.length, order.recorded, `events of order ${label}`);
    const paid = eventsOf(book, PaymentSubmittedSchema).length === 1;
    expectEqual(paid, crashes.get(this)?.paymentRecorded, `payment of order ${label} recorded`);
  },
);

/** The order's next step, sent at the version the client last saw, not a fresh read. */
async function nextStep(world: AcceptanceWorld, order: OrderRef, paid: boolean) {
  const sequence = order.recorded;
  if (paid) return confirmPayment(world, order, `PAY-${order.number}`, { sequence });
  return payInFull(world, order, "card", { sequence });
}

When("order {string} takes its next step", async function (this: AcceptanceWorld, label: string) {
  const crash = crashes.get(this);
  if (!crash) throw new Error("nothing crashed in this scenario");
  const order = this.order(label);
  crash.before = order.recorded;
  await this.attempt(() => nextStep(this, order, crash.paymentRecorded));
});

Then("that step is recorded right after the order's previous last event", function (this: AcceptanceWorld) {
  const crash = crashes.get(this);
  const pages = this.lastResponse().events?.pages ?? [];
  expect(pages.length > 0, "the step recorded nothing");
  const first = pages[0]?.sequence;
  expectEqual(first?.case === "num" ? first.value : -1, crash?.before, "number of the step's first event");
});

// A lossy bus.

const drops = new WeakMap<AcceptanceWorld, { dropped(): number }>();

const hasCompletion = (book: EventBook) =>
  book.pages.some((p) => AnyPayload.is(p.event, OrderCompletedSchema));

Given(
  "the shipping workflow will not hear about the completion of order {string}",
  function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const rule = embedded(this).dropDeliveries(
      (subscriber, book) =>
        subscriber === SHIPPING_SAGA &&
        book.cover?.domain === "order" &&
        Buffer.compare(book.cover.root?.value ?? new Uint8Array(), order.root) === 0 &&
        hasCompletion(book),
    );
    drops.set(this, rule);
    this.cleanups.push(() => rule.stop());
  },
);

Then("the announcement of the completion really was lost", function (this: AcceptanceWorld) {
  const dropped = drops.get(this)?.dropped() ?? 0;
  expect(dropped >= 1, "the bus delivered every message");
});

// Waiting for reports.

Then("the reply includes the order summary report", function (this: AcceptanceWorld) {
  const projections = this.lastResponse().projections;
  const names = projections.map((p) => p.projector);
  expect(names.includes("projector-order-summary"), `the reply holds reports from ${JSON.stringify(names)}`);
});

Then(
  "the reply includes a receipt for order {string} totalling {int} cents and earning {int} points",
  function (this: AcceptanceWorld, label: string, total: number, points: number) {
    const order = this.order(label);
    const response = this.lastResponse();
    noteRecorded(order, response);
    const receipts = response.projections
      .filter((p) => p.projector === "projector-order-summary" && AnyPayload.is(p.projection, ReceiptSchema))
      .map((p) => AnyPayload.unpack(p.projection, ReceiptSchema));
    expectEqual(receipts.length, 1, "receipts in the reply");
    const receipt = receipts[0];
    expectEqual(
      [receipt?.orderId, receipt?.finalTotalCents, receipt?.loyaltyPointsEarned],
      [order.id, total, points],
      "receipt order id, total and points",
    );
  },
);
