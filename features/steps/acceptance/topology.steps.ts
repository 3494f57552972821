// The system map (`GET /topology`): every component, what it holds or takes, and the flows seen.
import { Then } from "@cucumber/cucumber";
import { type AcceptanceWorld, eventually, expect } from "./world";

/** Every component of the example business, by kind. */
const EXAMPLE_COMPONENTS: Record<string, string[]> = {
  aggregate: ["cart", "customer", "fulfillment", "inventory", "order", "product"],
  saga: [
    "saga-fulfillment-inventory",
    "saga-order-customer",
    "saga-order-fulfillment",
    "saga-order-inventory",
  ],
  process_manager: ["pmg-order-fulfillment"],
  projector: ["projector-customer-loyalty", "projector-inventory-stock", "projector-order-summary"],
};

Then("the system map shows every component of the example business", async function (this: AcceptanceWorld) {
  const map = await this.backend.topology();
  for (const [kind, names] of Object.entries(EXAMPLE_COMPONENTS)) {
    const shown = map.nodes.filter((n) => n.kind === kind).map((n) => n.id);
    for (const name of names)
      expect(shown.includes(name), `the map lacks the ${kind} ${name}: ${shown.join(", ")}`);
  }
});

Then(
  "within {int} seconds the system map shows events flowing from {word} to {word} through {string}",
  async function (this: AcceptanceWorld, seconds: number, from: string, to: string, via: string) {
    await eventually(seconds, async () => {
      const map = await this.backend.topology();
      const edge = map.edges.find((e) => e.from === from && e.to === to && e.via === via);
      expect(edge !== undefined, `no ${from} → ${to} flow through ${via}: ${JSON.stringify(map.edges)}`);
      expect(edge.correlationId !== "", "the flow carries no workflow");
    });
  },
);

Then(
  "the system map counts the events held in {string}, each with its last event's type",
  async function (this: AcceptanceWorld, list: string) {
    const map = await this.backend.topology();
    for (const domain of list.split(", ")) {
      const node = map.nodes.find((n) => n.id === domain);
      expect(node !== undefined, `the map has no ${domain}`);
      expect(node.events > 0, `the map counts no events in ${domain}`);
      expect(
        node.lastEventType.startsWith("examples."),
        `last event type of ${domain}: ${node.lastEventType}`,
      );
    }
  },
);
