"""Aggregates: pure command handlers over state rebuilt from the book.

A handler is `(command, state, context) -> [events]`, written as guard → validate → compute;
an applier is `(state, event) -> None` and assigns the facts the event carries. The Aggregate
routes the first command page by its full type name, rebuilds state (snapshot when it decodes as
the domain's state, then every page), numbers the new events from the next sequence and answers
the post-command state as `snapshot_state` (example-domains §1.4, §1.5).
"""
from dataclasses import dataclass
from typing import Callable

from angzarr import types_pb2
from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError, Message

from . import any as anys
from . import event_book
from .errors import invalid_argument

REVOKE = types_pb2.RevokeEventCommand.DESCRIPTOR.full_name


@dataclass
class CommandContext:
    next_sequence: int
    cover: types_pb2.Cover
    now: timestamp_pb2.Timestamp


Applier = Callable[[Message, Message], None]
Handler = Callable[[Message, Message, CommandContext], list]


def now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def default_revocation(command: types_pb2.RevokeEventCommand) -> types_pb2.RevocationResponse:
    """Every example aggregate: a system revocation, no domain events (example-domains §1.4)."""
    return types_pb2.RevocationResponse(
        emit_system_revocation=True, reason=f"{command.saga_name} rejected: {command.rejection_reason}"
    )


class Aggregate:
    def __init__(self, domain: str, state_type, appliers: dict, handlers: dict):
        """appliers: {EventType: fn(state, event)}; handlers: {CommandType: fn(command, state, ctx)}."""
        self.domain = domain
        self.state_type = state_type
        self.appliers = {t.DESCRIPTOR.full_name: (t, fn) for t, fn in appliers.items()}
        self.handlers = {t.DESCRIPTOR.full_name: (t, fn) for t, fn in handlers.items()}

    # ---- state -------------------------------------------------------------------------------

    def apply_all(self, state, events: list):
        for event in events:
            entry = self.appliers.get(event.DESCRIPTOR.full_name)
            if entry:
                entry[1](state, event)
        return state

    def rebuild(self, book: types_pb2.EventBook | None):
        """The snapshot when it decodes as this domain's state, then every page in order."""
        state = self.state_type()
        if book is not None and book.HasField("snapshot") and anys.is_type(book.snapshot.state, self.state_type):
            try:
                state = anys.unpack(book.snapshot.state, self.state_type)
            except DecodeError:
                state = self.state_type()
        for page in book.pages if book is not None else []:
            entry = self.appliers.get(anys.full_name(page.event.type_url))
            if entry:
                entry[1](state, anys.unpack(page.event, entry[0]))
        return state

    # ---- the RPC -----------------------------------------------------------------------------

    def descriptor(self) -> types_pb2.ComponentDescriptor:
        return types_pb2.ComponentDescriptor(
            name=self.domain,
            component_type="aggregate",
            inputs=[types_pb2.Subscription(domain=self.domain, event_types=list(self.handlers))],
        )

    def handle(self, request: types_pb2.ContextualCommand, at=None) -> types_pb2.BusinessResponse:
        command = request.command
        if len(command.pages) == 0:
            raise invalid_argument("CommandBook has no pages")
        payload = command.pages[0].command
        name = anys.full_name(payload.type_url)
        if name == REVOKE:
            # The default revocation does not look at the state: the prior history is not folded
            # (a saga's compensations may each come with a history of 100,000 line items).
            revoke = anys.decode_or_reject(payload, types_pb2.RevokeEventCommand)
            return types_pb2.BusinessResponse(revocation=default_revocation(revoke))
        events_book = request.events if request.HasField("events") else None
        state = self.rebuild(events_book)
        next_sequence = event_book.next_sequence(events_book)
        entry = self.handlers.get(name)
        if entry is None:
            raise invalid_argument(f"Unknown command type: {payload.type_url}")
        decoded = anys.decode_or_reject(payload, entry[0])
        context = CommandContext(next_sequence=next_sequence, cover=command.cover, now=at or now())
        events = entry[1](decoded, state, context)
        return self.answer(command.cover if command.HasField("cover") else None, next_sequence, state, events)

    def answer(self, cover, next_sequence: int, state, events: list) -> types_pb2.BusinessResponse:
        pages = []
        for i, event in enumerate(events):
            if event.DESCRIPTOR.full_name not in self.appliers:
                raise RuntimeError(f"{self.domain}: no applier registered for event {event.DESCRIPTOR.full_name}")
            pages.append(types_pb2.EventPage(num=next_sequence + i, event=anys.pack(event)))
        book = types_pb2.EventBook(pages=pages, snapshot_state=anys.pack(self.apply_all(state, events)))
        if cover is not None:
            book.cover.CopyFrom(cover)
        return types_pb2.BusinessResponse(events=book)
