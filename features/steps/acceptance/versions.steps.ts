// Writing against an expected version: races between simultaneous requests, clients that try
// again, replays of old requests, and requests that expect a history that is not there.
import { type EventBook, EventBookSchema, EventBooks } from "@angzarr/proto";
import {
  ApplyLoyaltyDiscountSchema,
  InitializeStockSchema,
  LoyaltyDiscountAppliedSchema,
  ReceiveStockSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Given, Then, When } from "@cucumber/cucumber";
import { sendToOrder } from "./domain";
import {
  type AcceptanceWorld,
  describeError,
  eventsOf,
  expect,
  expectEqual,
  type Outcome,
  sequencesOf,
  settleOutcome,
} from "./world";

const currentHistory = (err: ConnectError): EventBook | undefined => err.findDetails(EventBookSchema)[0];

function deliver(world: AcceptanceWorld, sku: string, quantity: number, reference: string, sequence: number) {
  return world.send(
    "inventory",
    world.product(sku).root,
    ReceiveStockSchema,
    create(ReceiveStockSchema, { quantity, reference }),
    { sequence },
  );
}

/** Outcomes of the last batch, split. */
function split(world: AcceptanceWorld) {
  const accepted = world.batch.filter((o) => o.ok);
  const refused = world.batch.flatMap((o) => (o.ok ? [] : [o.error]));
  return { accepted, refused };
}

When(
  "{int} deliveries of {int} units each arrive for {string} at once, all written against its current version",
  async function (this: AcceptanceWorld, count: number, units: number, sku: string) {
    const version = await this.nextSequence("inventory", this.product(sku).root);
    this.batch = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        settleOutcome(deliver(this, sku, units, `DEL-${i + 1}`, version)),
      ),
    );
  },
);

/** Retry budget of one client; generous, since up to nine others may win before it. */
const MAX_TRIES = 30;

When(
  "{int} deliveries of {int} to {int} units arrive for {string} at once, each trying again on the version it is told about",
  async function (this: AcceptanceWorld, count: number, from: number, to: number, sku: string) {
    expectEqual(to - from + 1, count, "one delivery per quantity");
    const start = await this.nextSequence("inventory", this.product(sku).root);
    const client = async (units: number): Promise<Outcome> => {
      let version = start;
      let outcome: Outcome = { ok: false, error: new ConnectError("never sent") };
      for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        outcome = await settleOutcome(deliver(this, sku, units, `DEL-${units}`, version));
        if (outcome.ok || outcome.error.code !== Code.Aborted) return outcome;
        const told = currentHistory(outcome.error);
        if (told === undefined)
          throw new Error(`a conflict came without the current history: ${describeError(outcome.error)}`);
        version = EventBooks.nextSequence(told);
      }
      return outcome;
    };
    this.batch = await Promise.all(Array.from({ length: count }, (_, i) => client(from + i)));
  },
);

Then("exactly {int} of the deliveries is/are accepted", function (this: AcceptanceWorld, count: number) {
  const { accepted, refused } = split(this);
  expect(
    accepted.length === count,
    `${accepted.length} accepted; refusals: ${refused.map(describeError).join("; ")}`,
  );
});

Then("all {int} deliveries are accepted", function (this: AcceptanceWorld, count: number) {
  const { accepted, refused } = split(this);
  expect(
    accepted.length === count && refused.length === 0,
    `${accepted.length} accepted; refusals: ${refused.map(describeError).join("; ")}`,
  );
});

Then(
  "the other {int} are turned away because the stock changed meanwhile",
  function (this: AcceptanceWorld, count: number) {
    const { refused } = split(this);
    expectEqual(refused.length, count, "refused deliveries");
    const other = refused.filter((e) => e.code !== Code.Aborted);
    expect(other.length === 0, `refused for another reason: ${other.map(describeError).join("; ")}`);
  },
);

Then(
  "the stock history of {string} is numbered without gaps or repeats",
  async function (this: AcceptanceWorld, sku: string) {
    const numbers = sequencesOf(await this.backend.history("inventory", this.product(sku).root));
    expectEqual(
      numbers,
      numbers.map((_, i) => i),
      `event numbers of ${sku}`,
    );
  },
);

Then(
  "the stock history of {string} has {int} event(s)",
  async function (this: AcceptanceWorld, sku: string, count: number) {
    const book = await this.backend.history("inventory", this.product(sku).root);
    expectEqual(book.pages.length, count, `events of ${sku}`);
  },
);

When(
  "{int} loyalty discounts of {int} points worth {int} cents arrive for order {string} at once",
  async function (this: AcceptanceWorld, count: number, points: number, cents: number, label: string) {
    const order = this.order(label);
    const version = await this.nextSequence("order", order.root);
    const discount = create(ApplyLoyaltyDiscountSchema, { points, discountCents: cents });
    this.batch = await Promise.all(
      Array.from({ length: count }, () =>
        settleOutcome(
          sendToOrder(order, (options) =>
            this.send("order", order.root, ApplyLoyaltyDiscountSchema, discount, {
              ...options,
              sequence: version,
            }),
          ),
        ),
      ),
    );
  },
);

Then("at most {int} of the discounts is/are accepted", function (this: AcceptanceWorld, count: number) {
  expect(split(this).accepted.length <= count, `${split(this).accepted.length} discounts accepted`);
});

Then("every other discount is turned away as outdated or already applied", function (this: AcceptanceWorld) {
  for (const err of split(this).refused) {
    const outdated = err.code === Code.Aborted;
    const applied = err.code === Code.FailedPrecondition && /already applied/i.test(err.rawMessage);
    expect(outdated || applied, `a discount was refused for another reason: ${describeError(err)}`);
  }
});

Then(
  "order {string} has at most {int} loyalty discount(s)",
  async function (this: AcceptanceWorld, label: string, count: number) {
    const book = await this.backend.history("order", this.order(label).root);
    const discounts = eventsOf(book, LoyaltyDiscountAppliedSchema).length;
    expect(discounts <= count, `order ${label} has ${discounts} loyalty discounts`);
  },
);

// Replays and expectations of a particular version.

interface Remembered {
  sku: string;
  quantity: number;
  sequence: number;
}
const remembered = new WeakMap<AcceptanceWorld, Remembered>();

Given(
  "a delivery of {int} units of {string} was accepted",
  async function (this: AcceptanceWorld, quantity: number, sku: string) {
    const sequence = await this.nextSequence("inventory", this.product(sku).root);
    await deliver(this, sku, quantity, "DEL-ONCE", sequence);
    remembered.set(this, { sku, quantity, sequence });
  },
);

When(
  "the same delivery is sent again, expecting the version it was first written against",
  async function (this: AcceptanceWorld) {
    const first = remembered.get(this);
    if (!first) throw new Error("no delivery was accepted earlier in this scenario");
    await this.attempt(() => deliver(this, first.sku, first.quantity, "DEL-ONCE", first.sequence));
  },
);

When(
  "stock for a new product {string} is set up expecting {int} earlier event(s)",
  async function (this: AcceptanceWorld, sku: string, sequence: number) {
    const product = this.product(sku);
    await this.attempt(() =>
      this.send(
        "inventory",
        product.root,
        InitializeStockSchema,
        create(InitializeStockSchema, { productId: product.sku, quantity: 10 }),
        { sequence },
      ),
    );
  },
);

When(
  "a delivery of {int} units of {string} arrives expecting {int} earlier event(s)",
  async function (this: AcceptanceWorld, quantity: number, sku: string, sequence: number) {
    await this.attempt(() => deliver(this, sku, quantity, "DEL-NEXT", sequence));
  },
);

Then("the request is accepted", function (this: AcceptanceWorld) {
  this.lastResponse();
});

Then("the request is turned away because the record moved on", function (this: AcceptanceWorld) {
  const err = this.lastError();
  expect(err.code === Code.Aborted, `expected a version conflict, got ${describeError(err)}`);
});

Then(
  "the refusal carries the current history of {int} event(s)",
  function (this: AcceptanceWorld, count: number) {
    const told = currentHistory(this.lastError());
    expect(told !== undefined, "the refusal carries no history");
    // The history may be condensed into a snapshot plus later events; either way it must tell
    // the caller where the record stands.
    expectEqual(EventBooks.nextSequence(told), count, "events in the history the refusal carries");
  },
);

Then("the refusal mentions {int} and {int}", function (this: AcceptanceWorld, a: number, b: number) {
  const message = this.lastError().rawMessage;
  for (const n of [a, b]) {
    expect(
      new RegExp(`\\b${n}\\b`).test(message),
      `the refusal ${JSON.stringify(message)} does not mention ${n}`,
    );
  }
});
