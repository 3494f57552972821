// Rejection texts of the cart aggregate (example-domains.md §2.1). Tests match them exactly.
export const CART_ALREADY_EXISTS = "Cart already exists";
export const CART_DOES_NOT_EXIST = "Cart does not exist";
export const CART_ALREADY_CHECKED_OUT = "Cart is already checked out";
export const CART_IS_EMPTY = "Cart is empty";
export const CUSTOMER_ID_REQUIRED = "Customer ID is required";
export const PRODUCT_ID_REQUIRED = "Product ID is required";
export const QUANTITY_MUST_BE_POSITIVE = "Quantity must be positive";
export const UNIT_PRICE_NEGATIVE = "Unit price cannot be negative";
export const ITEM_NOT_IN_CART = "Item not in cart";
export const COUPON_ALREADY_APPLIED = "Coupon already applied";
export const COUPON_CODE_REQUIRED = "Coupon code is required";
export const COUPON_TYPE_INVALID = "Coupon type must be percentage or fixed";
export const COUPON_VALUE_MUST_BE_POSITIVE = "Coupon value must be positive";
export const PERCENTAGE_TOO_HIGH = "Percentage cannot exceed 100";
