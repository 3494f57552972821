"""projector-customer-loyalty (example-domains §5, §6.10), on an in-memory database."""
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.identity import customer_root, uuid_text
from angzarr_sdk.testing import book_of
from examples import customer_pb2, projections_pb2

from domains.prj_customer_loyalty.projector import create, edition_db_path

ROOT = customer_root("alice@example.com")
EVENTS = [
    customer_pb2.CustomerCreated(name="Alice", email="alice@example.com"),
    customer_pb2.LoyaltyPointsAdded(points=100, new_balance=100, reason="welcome", reference="r1"),
    customer_pb2.LoyaltyPointsRedeemed(points=40, new_balance=60, redemption_type="discount"),
]


def book(events, first=0):
    b = book_of("customer", events, first=first)
    b.cover.root.value = ROOT
    return b


def row(model):
    return dict(model.database("").execute("SELECT * FROM customer_loyalty WHERE customer_root = ?", (uuid_text(ROOT),)).fetchone())


def test_balances_and_ledger_and_the_payload():
    projector, model = create(":memory:")
    projection = projector.handle(book(EVENTS))
    balance = anys.unpack(projection.projection, projections_pb2.LoyaltyBalance)
    assert (balance.current_points, balance.lifetime_points, balance.redeemed_points) == (60, 100, 40)
    assert (projection.projector, projection.sequence) == ("projector-customer-loyalty", 2)
    ledger = model.database("").execute("SELECT entry_type, points, note FROM loyalty_ledger ORDER BY sequence").fetchall()
    assert [tuple(r) for r in ledger] == [("earned", 100, "welcome"), ("redeemed", 40, "discount")]


def test_replays_and_older_pages_change_nothing():
    projector, model = create(":memory:")
    projector.handle(book(EVENTS))
    before = row(model)
    projector.handle(book(EVENTS))
    projector.handle(book(EVENTS[:2]))
    assert row(model) == before
    assert model.database("").execute("SELECT COUNT(*) FROM loyalty_ledger").fetchone()[0] == 2


def test_speculative_returns_the_same_payload_and_writes_nothing():
    projector, model = create(":memory:")
    speculative = projector.handle(book(EVENTS), speculative=True)
    assert model.database("").execute("SELECT COUNT(*) FROM customer_loyalty").fetchone()[0] == 0
    real = projector.handle(book(EVENTS))
    assert speculative.projection == real.projection


def test_edition_books_use_their_own_database():
    projector, model = create(":memory:")
    edition_book = book(EVENTS)
    edition_book.cover.edition.name = "what-if"
    projector.handle(edition_book)
    assert model.database("").execute("SELECT COUNT(*) FROM customer_loyalty").fetchone()[0] == 0
    assert model.database("what-if").execute("SELECT COUNT(*) FROM customer_loyalty").fetchone()[0] == 1
    deleted = types_pb2.EventBook(pages=[types_pb2.EventPage(event=anys.pack(types_pb2.EditionEventsDeleted(edition="what-if")))])
    projector.handle(deleted)
    assert "what-if" not in model.open
    assert edition_db_path("/d/projector-customer-loyalty.db", "a b") == "/d/projector-customer-loyalty.edition.a%20b.db"
