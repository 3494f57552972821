"""Roots of the example domains: UUIDv5 of a business key (example-domains §1.2)."""
import uuid

NAMESPACE_OID = uuid.UUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")
NAMESPACE_DNS = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")


def _v5(namespace: uuid.UUID, name: str) -> bytes:
    return uuid.uuid5(namespace, name).bytes


def cart_root(customer_id: str) -> bytes:
    return _v5(NAMESPACE_OID, "angzarr" + "cart" + customer_id)


def customer_root(email: str) -> bytes:
    return _v5(NAMESPACE_OID, "angzarr" + "customer" + email)


def product_root(sku: str) -> bytes:
    return _v5(NAMESPACE_OID, "angzarr" + "product" + sku)


def order_root(order_number: str) -> bytes:
    return _v5(NAMESPACE_OID, "angzarr" + "order" + order_number)


def inventory_root(product_id: str) -> bytes:
    return _v5(NAMESPACE_DNS, product_id)


def fulfillment_root(order_root_bytes: bytes) -> bytes:
    return bytes(order_root_bytes)


def process_manager_root(correlation_id: str) -> bytes:
    return _v5(NAMESPACE_OID, correlation_id)


def is_uuid(root: bytes | None) -> bool:
    return root is not None and len(root) == 16


def uuid_text(root: bytes) -> str:
    """Hyphenated lowercase text of 16 bytes (the *order id* of an order root)."""
    return str(uuid.UUID(bytes=bytes(root)))
