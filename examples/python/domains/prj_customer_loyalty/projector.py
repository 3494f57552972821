"""projector-customer-loyalty (example-domains §5): one balance row per customer and one ledger
entry per credit or redemption, in SQLite (PROJECTOR_DB, default `projector-customer-loyalty.db`).
Returns examples.LoyaltyBalance. Each timeline has its own database file (editions beside the
main one, `<stem>.edition.<name>.db`); each book is one transaction, rolled back when speculative;
pages at or below a row's last_sequence are skipped, so replays change nothing."""
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from angzarr_sdk import any as anys
from angzarr_sdk import cover as covers
from angzarr_sdk.identity import uuid_text
from angzarr_sdk.projector import Projector
from examples import customer_pb2, projections_pb2

NAME = "projector-customer-loyalty"

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_loyalty (
  customer_root TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  current_points INTEGER NOT NULL DEFAULT 0,
  lifetime_points INTEGER NOT NULL DEFAULT 0,
  redeemed_points INTEGER NOT NULL DEFAULT 0,
  last_sequence INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS loyalty_ledger (
  customer_root TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  entry_type TEXT NOT NULL CHECK (entry_type IN ('earned', 'redeemed')),
  points INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '',
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (customer_root, sequence)
);
"""

UPSERT = """
INSERT INTO customer_loyalty (customer_root, name, email, current_points, lifetime_points, redeemed_points,
  last_sequence, updated_at)
VALUES (:customer_root, :name, :email, :current_points, :lifetime_points, :redeemed_points, :last_sequence, :updated_at)
ON CONFLICT (customer_root) DO UPDATE SET name = excluded.name, email = excluded.email,
  current_points = excluded.current_points, lifetime_points = excluded.lifetime_points,
  redeemed_points = excluded.redeemed_points, last_sequence = excluded.last_sequence, updated_at = excluded.updated_at
WHERE excluded.last_sequence > customer_loyalty.last_sequence
"""

LEDGER = """
INSERT OR IGNORE INTO loyalty_ledger (customer_root, sequence, entry_type, points, balance_after, note, reference,
  recorded_at)
VALUES (:customer_root, :sequence, :entry_type, :points, :balance_after, :note, :reference, :recorded_at)
"""

COLUMNS = ("customer_root", "name", "email", "current_points", "lifetime_points", "redeemed_points", "last_sequence", "updated_at")


# What encodeURIComponent leaves alone: the TypeScript projectors name edition files the same way.
URI_COMPONENT_SAFE = "-_.!~*'()"


def edition_db_path(path: str, edition: str) -> str | None:
    if path in ("", ":memory:"):
        return None
    p = Path(path)
    suffix = p.suffix or ".db"
    name = quote(edition, safe=URI_COMPONENT_SAFE)
    return str(p.with_name(f"{p.stem}.edition.{name}{suffix}"))


def event_time(page, event_at=None) -> str:
    if event_at is not None and event_at.ByteSize() > 0:
        return event_at.ToJsonString()
    if page.HasField("created_at"):
        return page.created_at.ToJsonString()
    return datetime.now(timezone.utc).isoformat()


def open_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 5000")
    if path not in ("", ":memory:"):
        db.execute("PRAGMA journal_mode = WAL")
    db.executescript(SCHEMA)
    return db


class LoyaltyReadModel:
    """The databases of every timeline, opened on first use."""

    def __init__(self, path: str):
        self.path = path
        self.open: dict[str, sqlite3.Connection] = {}
        self.lock = threading.Lock()

    def path_of(self, edition: str) -> str | None:
        return self.path if edition == "" else edition_db_path(self.path, edition)

    def database(self, edition: str) -> sqlite3.Connection:
        if edition not in self.open:
            self.open[edition] = open_db(self.path_of(edition) or ":memory:")
        return self.open[edition]

    def delete_edition(self, edition: str) -> None:
        with self.lock:
            db = self.open.pop(edition, None)
            if db is not None:
                db.close()
            path = self.path_of(edition)
            if path is None:
                return
            for file in (path, f"{path}-wal", f"{path}-shm"):
                if os.path.exists(file):
                    os.remove(file)

    def project(self, pages, book, speculative: bool):
        root = covers.root_of(book.cover)
        if root is None:
            return None
        customer_root = uuid_text(root)
        with self.lock:
            db = self.database(covers.edition(book.cover))
            db.execute("BEGIN IMMEDIATE")
            try:
                found = db.execute("SELECT * FROM customer_loyalty WHERE customer_root = ?", (customer_root,)).fetchone()
                row = dict(found) if found else {c: 0 for c in COLUMNS} | {
                    "customer_root": customer_root, "name": "", "email": "", "last_sequence": -1, "updated_at": ""
                }
                applied = False
                for page in pages:
                    if page.sequence < 0 or page.sequence <= row["last_sequence"]:
                        continue  # already applied
                    apply(db, row, page)
                    row["last_sequence"] = page.sequence
                    applied = True
                if applied:
                    db.execute(UPSERT, row)
                db.execute("ROLLBACK" if speculative else "COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        if not applied and found is None:
            return None
        return anys.pack(
            projections_pb2.LoyaltyBalance(
                email=row["email"],
                name=row["name"],
                current_points=row["current_points"],
                lifetime_points=row["lifetime_points"],
                redeemed_points=row["redeemed_points"],
            )
        )


def apply(db: sqlite3.Connection, row: dict, decoded) -> None:
    event, page, sequence = decoded.event, decoded.page, decoded.sequence
    at = event_time(page)
    if isinstance(event, customer_pb2.CustomerCreated):
        row["name"], row["email"] = event.name, event.email
        row["updated_at"] = event_time(page, event.created_at)
    elif isinstance(event, customer_pb2.LoyaltyPointsAdded):
        row["current_points"] = event.new_balance
        row["lifetime_points"] += event.points
        row["updated_at"] = at
        db.execute(LEDGER, {
            "customer_root": row["customer_root"], "sequence": sequence, "entry_type": "earned", "points": event.points,
            "balance_after": event.new_balance, "note": event.reason, "reference": event.reference, "recorded_at": at,
        })
    elif isinstance(event, customer_pb2.LoyaltyPointsRedeemed):
        row["current_points"] = event.new_balance
        row["redeemed_points"] += event.points
        row["updated_at"] = at
        db.execute(LEDGER, {
            "customer_root": row["customer_root"], "sequence": sequence, "entry_type": "redeemed", "points": event.points,
            "balance_after": event.new_balance, "note": event.redemption_type, "reference": "", "recorded_at": at,
        })


def create(path: str) -> tuple[Projector, LoyaltyReadModel]:
    model = LoyaltyReadModel(path)
    projector = Projector(
        NAME,
        "customer",
        [customer_pb2.CustomerCreated, customer_pb2.LoyaltyPointsAdded, customer_pb2.LoyaltyPointsRedeemed],
        model.project,
        model.delete_edition,
    )
    return projector, model
