// Rejection texts of the order aggregate (example-domains.md §2.4). Exact: clients and features
// match on them.

export const ORDER_ALREADY_EXISTS = "Order already exists";
export const ORDER_DOES_NOT_EXIST = "Order does not exist";
export const ORDER_ALREADY_CANCELLED = "Order is already cancelled";
export const ORDER_ALREADY_COMPLETED = "Order is already completed";
export const PAYMENT_ALREADY_SUBMITTED = "Payment already submitted";
export const PAYMENT_NOT_SUBMITTED = "Payment not submitted: order not paid";

export const CUSTOMER_ID_REQUIRED = "Customer ID is required";
export const ITEMS_REQUIRED = "Order must have items";
export const ITEM_PRODUCT_ID_REQUIRED = "Item product ID is required";
export const ITEM_QUANTITY_NOT_POSITIVE = "Item quantity must be positive";
export const ITEM_PRICE_NEGATIVE = "Item price cannot be negative";
export const CUSTOMER_ROOT_INVALID = "Customer root must be a 16-byte UUID";
export const CART_ROOT_INVALID = "Cart root must be a 16-byte UUID";

export const DISCOUNT_ALREADY_APPLIED = "Loyalty discount already applied";
export const POINTS_NOT_POSITIVE = "Points must be positive";
export const DISCOUNT_NOT_POSITIVE = "Discount must be positive";
export const DISCOUNT_EXCEEDS_SUBTOTAL = "Discount cannot exceed subtotal";

export const PAYMENT_METHOD_REQUIRED = "Payment method is required";
export const paymentAmountMismatch = (expected: number, got: number): string =>
  `Payment amount does not match order total: expected ${expected}, got ${got}`;

export const PAYMENT_REFERENCE_REQUIRED = "Payment reference is required";
export const CANCELLATION_REASON_REQUIRED = "Cancellation reason is required";
