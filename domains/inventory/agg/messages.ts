// Rejection texts of the inventory aggregate (example-domains.md §2.5). Exact: clients and features
// match on them.

export const ALREADY_INITIALIZED = "Inventory already initialized";
export const NOT_INITIALIZED = "Inventory not initialized";

export const PRODUCT_ID_REQUIRED = "Product ID is required";
export const QUANTITY_NEGATIVE = "Quantity cannot be negative";
export const THRESHOLD_NEGATIVE = "Low stock threshold cannot be negative";
export const QUANTITY_NOT_POSITIVE = "Quantity must be positive";
export const ORDER_ID_REQUIRED = "Order ID is required";

export const RESERVATION_EXISTS = "Reservation already exists for this order";
export const RESERVATION_NOT_FOUND = "Reservation not found";
export const insufficientStock = (available: number, quantity: number): string =>
  `Insufficient available stock: have ${available}, need ${quantity}`;
