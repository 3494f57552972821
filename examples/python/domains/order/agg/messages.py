"""Error texts of the order aggregate (example-domains §2.4), exact."""
ORDER_ALREADY_EXISTS = "Order already exists"
ORDER_DOES_NOT_EXIST = "Order does not exist"
ORDER_ALREADY_CANCELLED = "Order is already cancelled"
ORDER_ALREADY_COMPLETED = "Order is already completed"
PAYMENT_ALREADY_SUBMITTED = "Payment already submitted"
PAYMENT_NOT_SUBMITTED = "Payment not submitted: order not paid"

CUSTOMER_ID_REQUIRED = "Customer ID is required"
ITEMS_REQUIRED = "Order must have items"
ITEM_PRODUCT_ID_REQUIRED = "Item product ID is required"
ITEM_QUANTITY_NOT_POSITIVE = "Item quantity must be positive"
ITEM_PRICE_NEGATIVE = "Item price cannot be negative"
CUSTOMER_ROOT_INVALID = "Customer root must be a 16-byte UUID"
CART_ROOT_INVALID = "Cart root must be a 16-byte UUID"

DISCOUNT_ALREADY_APPLIED = "Loyalty discount already applied"
POINTS_NOT_POSITIVE = "Points must be positive"
DISCOUNT_NOT_POSITIVE = "Discount must be positive"
DISCOUNT_EXCEEDS_SUBTOTAL = "Discount cannot exceed subtotal"

PAYMENT_METHOD_REQUIRED = "Payment method is required"
PAYMENT_REFERENCE_REQUIRED = "Payment reference is required"
CANCELLATION_REASON_REQUIRED = "Cancellation reason is required"


def payment_amount_mismatch(expected: int, got: int) -> str:
    return f"Payment amount does not match order total: expected {expected}, got {got}"
