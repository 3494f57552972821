"""Functions on examples.LineItem lists: subtotal, and distinct products (lines grouped by
product_id, quantities summed, in first-appearance order; lines without a product id left out)."""


def subtotal(items) -> int:
    return sum(item.quantity * item.unit_price_cents for item in items)


def distinct_products(items) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for item in items:
        if item.product_id == "":
            continue
        totals[item.product_id] = totals.get(item.product_id, 0) + item.quantity
    return list(totals.items())
