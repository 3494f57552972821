// The example domains' messages (package `examples`).
export * from "./gen/examples/cart_pb";
export * from "./gen/examples/customer_pb";
export * from "./gen/examples/fulfillment_pb";
export * from "./gen/examples/inventory_pb";
export * from "./gen/examples/order_fulfillment_pb";
export * from "./gen/examples/order_pb";
export * from "./gen/examples/product_pb";
export * from "./gen/examples/projections_pb";
