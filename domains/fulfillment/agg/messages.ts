// Rejection texts of the fulfillment aggregate (example-domains.md §2.6). Exact: clients and
// features match on them.

export const SHIPMENT_ALREADY_EXISTS = "Shipment already exists";
export const SHIPMENT_DOES_NOT_EXIST = "Shipment does not exist";
export const NOT_PENDING = "Shipment is not pending";
export const NOT_PICKED = "Shipment is not picked";
export const NOT_PACKED = "Shipment is not packed";
export const NOT_SHIPPED = "Shipment is not shipped";
export const ALREADY_DELIVERED = "Shipment is already delivered";

export const ORDER_ID_REQUIRED = "Order ID is required";
export const PICKER_ID_REQUIRED = "Picker ID is required";
export const PACKER_ID_REQUIRED = "Packer ID is required";
export const CARRIER_REQUIRED = "Carrier is required";
