// The shipment of an order: opened by the system, worked by the warehouse, dispatched by the
// order-fulfillment process, delivered.
import { Uuid } from "@angzarr/proto";
import {
  DeliveredSchema,
  DispatchIssuedSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  RecordDeliverySchema,
  ShippedSchema,
} from "@angzarr/proto/examples.ts";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { Then, When } from "@cucumber/cucumber";
import { PM_DOMAIN, processRoot, shipmentsOpened } from "./domain";
import { type AcceptanceWorld, eventsOf, eventually, expect, expectEqual, type OrderRef } from "./world";

/** A command to the order's shipment (same root as the order), in the order's workflow. */
function toShipment<D extends DescMessage>(
  world: AcceptanceWorld,
  order: OrderRef,
  schema: D,
  message: MessageShape<D>,
) {
  return world.send("fulfillment", order.root, schema, message, { workflow: order.workflow });
}

Then(
  "within {int} seconds a shipment is opened for order {string} under the order's own identity",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const order = this.order(label);
    await eventually(seconds, async () => {
      const opened = await shipmentsOpened(this, order);
      expect(opened.length > 0, `no shipment has been opened for order ${label} yet`);
      expectEqual(opened.length, 1, `shipments opened for order ${label}`);
      expectEqual(opened[0]?.event.orderId, order.id, "order id on the shipment");
    });
  },
);

When(
  "the warehouse picks the shipment of order {string} as {string}",
  async function (this: AcceptanceWorld, label: string, picker: string) {
    const order = this.order(label);
    await toShipment(this, order, MarkPickedSchema, create(MarkPickedSchema, { pickerId: picker }));
  },
);

When(
  "the warehouse packs the shipment of order {string} as {string}",
  async function (this: AcceptanceWorld, label: string, packer: string) {
    const order = this.order(label);
    await toShipment(this, order, MarkPackedSchema, create(MarkPackedSchema, { packerId: packer }));
  },
);

When(
  "the shipment of order {string} is delivered and signed for by {string}",
  async function (this: AcceptanceWorld, label: string, signature: string) {
    const order = this.order(label);
    await toShipment(this, order, RecordDeliverySchema, create(RecordDeliverySchema, { signature }));
  },
);

Then("the shipment of order {string} is delivered", async function (this: AcceptanceWorld, label: string) {
  const book = await this.backend.history("fulfillment", this.order(label).root);
  expectEqual(eventsOf(book, DeliveredSchema).length, 1, `deliveries of order ${label}`);
});

Then(
  "within {int} seconds the dispatch of the shipment of order {string} is recorded for workflow {string}",
  async function (this: AcceptanceWorld, seconds: number, label: string, workflow: string) {
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history(PM_DOMAIN, processRoot(this.workflow(workflow)));
      const dispatches = eventsOf(book, DispatchIssuedSchema);
      expect(dispatches.length > 0, `workflow ${workflow} has not dispatched yet`);
      expectEqual(dispatches.length, 1, `dispatches in workflow ${workflow}`);
      const dispatch = dispatches[0]?.event;
      expectEqual(dispatch?.orderId, order.id, "order id of the dispatch");
      expectEqual(
        dispatch?.fulfillmentRoot && Uuid.toText(dispatch.fulfillmentRoot),
        order.id,
        "shipment the dispatch is addressed to",
      );
    });
  },
);

Then(
  "within {int} seconds the shipment of order {string} has left with an automatically chosen carrier",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history("fulfillment", order.root);
      const shipped = eventsOf(book, ShippedSchema);
      expect(shipped.length > 0, `the shipment of order ${label} has not left yet`);
      expectEqual(shipped.length, 1, `times the shipment of order ${label} left`);
      const carrier = shipped[0]?.event.carrier ?? "";
      expect(carrier.startsWith("auto-"), `carrier ${JSON.stringify(carrier)} was not chosen automatically`);
      expectEqual(shipped[0]?.event.orderId, order.id, "order id on the departure");
    });
  },
);
