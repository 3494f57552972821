"""Given/when/then for aggregate logic in unit tests: prior events in, a command through the
same `handle` the RPC uses, and the outcome (events, their sequences, post-command state, or the
rejection). No I/O."""
from dataclasses import dataclass, field

import grpc
from angzarr import types_pb2

from . import any as anys
from . import cover as covers
from .aggregate import Aggregate
from .errors import Rejected

ROOT = bytes(range(16))


@dataclass
class Outcome:
    events: list = field(default_factory=list)
    sequences: list = field(default_factory=list)
    state: object = None
    snapshot_state: object = None
    code: grpc.StatusCode | None = None
    message: str = ""
    revocation: types_pb2.RevocationResponse | None = None


def book_of(domain: str, events: list, correlation_id: str = "", first: int = 0) -> types_pb2.EventBook:
    return types_pb2.EventBook(
        cover=covers.make(domain, ROOT, correlation_id),
        pages=[types_pb2.EventPage(num=first + i, event=anys.pack(e)) for i, e in enumerate(events)],
    )


class Given:
    def __init__(self, aggregate: Aggregate, events: list):
        self.aggregate = aggregate
        self.events = events

    def book(self) -> types_pb2.EventBook:
        return book_of(self.aggregate.domain, self.events)

    def state(self):
        return self.aggregate.rebuild(self.book())

    def when(self, command, raw: types_pb2.CommandPage | None = None) -> Outcome:
        page = raw if raw is not None else types_pb2.CommandPage(sequence=0, command=anys.pack(command))
        request = types_pb2.ContextualCommand(
            events=self.book(),
            command=types_pb2.CommandBook(cover=covers.make(self.aggregate.domain, ROOT), pages=[page]),
        )
        try:
            response = self.aggregate.handle(request)
        except Rejected as rejected:
            return Outcome(state=self.state(), code=rejected.code, message=rejected.message)
        if response.WhichOneof("result") == "revocation":
            return Outcome(state=self.state(), revocation=response.revocation)
        decoded = []
        for p in response.events.pages:
            message_type, _fn = self.aggregate.appliers[anys.full_name(p.event.type_url)]
            decoded.append(anys.unpack(p.event, message_type))
        return Outcome(
            events=decoded,
            sequences=[p.num for p in response.events.pages],
            state=self.aggregate.apply_all(self.state(), decoded),
            snapshot_state=anys.unpack(response.events.snapshot_state, self.aggregate.state_type),
        )

    def snapshot_consistent(self, outcome: Outcome) -> bool:
        """A snapshot of the post-command state rebuilds like a full replay of all events."""
        full = self.aggregate.rebuild(book_of(self.aggregate.domain, self.events + outcome.events))
        return full == outcome.snapshot_state


def given(aggregate: Aggregate, *events) -> Given:
    return Given(aggregate, list(events))
