"""What sagas, process managers and projectors share: decoding the pages of a book they
subscribe to. Pages of types they do not handle, or that do not decode, are skipped and logged,
never an error (example-domains §1.1)."""
import json
import sys
from dataclasses import dataclass

from angzarr import types_pb2
from google.protobuf.message import DecodeError, Message

from . import any as anys
from .event_book import page_sequence


@dataclass
class DecodedPage:
    event: Message
    page: types_pb2.EventPage
    sequence: int


def log_skip(component: str, page: types_pb2.EventPage, why: str) -> None:
    print(
        json.dumps({"event": "component.page_skipped", "component": component, "sequence": page_sequence(page), "reason": why}),
        file=sys.stderr,
        flush=True,
    )


class EventTypes:
    """The event types a component consumes, by full name."""

    def __init__(self, types: list):
        self.by_name = {t.DESCRIPTOR.full_name: t for t in types}

    def names(self) -> list[str]:
        return list(self.by_name)

    def decode(self, book: types_pb2.EventBook, component: str) -> list[DecodedPage]:
        out = []
        for page in book.pages:
            name = anys.full_name(page.event.type_url)
            message_type = self.by_name.get(name)
            if message_type is None:
                log_skip(component, page, f"unhandled event type {name!r}")
                continue
            try:
                out.append(DecodedPage(anys.unpack(page.event, message_type), page, page_sequence(page)))
            except DecodeError as err:
                log_skip(component, page, f"failed to decode {name}: {err}")
        return out


def subscription(domain: str, types: EventTypes) -> types_pb2.Subscription:
    return types_pb2.Subscription(domain=domain, event_types=types.names())
