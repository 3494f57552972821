"""Error texts of the inventory aggregate (example-domains §2.5), exact."""
ALREADY_INITIALIZED = "Inventory already initialized"
NOT_INITIALIZED = "Inventory not initialized"
PRODUCT_ID_REQUIRED = "Product ID is required"
QUANTITY_NEGATIVE = "Quantity cannot be negative"
THRESHOLD_NEGATIVE = "Low stock threshold cannot be negative"
QUANTITY_NOT_POSITIVE = "Quantity must be positive"
ORDER_ID_REQUIRED = "Order ID is required"
RESERVATION_EXISTS = "Reservation already exists for this order"
RESERVATION_NOT_FOUND = "Reservation not found"


def insufficient_stock(available: int, quantity: int) -> str:
    return f"Insufficient available stock: have {available}, need {quantity}"
