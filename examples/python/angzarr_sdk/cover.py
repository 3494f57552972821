"""Functions on angzarr.Cover."""
from angzarr import types_pb2

from .identity import is_uuid

MAIN_EDITIONS = ("", "angzarr")


def make(domain: str, root: bytes, correlation_id: str = "") -> types_pb2.Cover:
    return types_pb2.Cover(domain=domain, root=types_pb2.UUID(value=root), correlation_id=correlation_id)


def root_of(cover: types_pb2.Cover) -> bytes | None:
    """The cover's root when it is 16 bytes, else None."""
    value = cover.root.value if cover.HasField("root") else b""
    return bytes(value) if is_uuid(value) else None


def edition(cover: types_pb2.Cover) -> str:
    """The edition name; "" for the main timeline (also spelled "angzarr" by the reference)."""
    name = cover.edition.name if cover.HasField("edition") else ""
    return "" if name in MAIN_EDITIONS else name
