"""A compensation (RevokeEventCommand) answered with the default revocation folds no history."""
from angzarr import types_pb2

from angzarr_sdk.aggregate import Aggregate
from angzarr_sdk.any import pack
from angzarr_sdk.testing import book_of

PRIOR = 2_000


def _counting_aggregate():
    """An aggregate whose one applier counts the events it folds (state: a Cover, events: UUIDs)."""
    folded = []
    aggregate = Aggregate(
        "counted",
        types_pb2.Cover,
        appliers={types_pb2.UUID: lambda state, event: folded.append(event)},
        handlers={types_pb2.Edition: lambda command, state, ctx: []},
    )
    return aggregate, folded


def _request(aggregate, command):
    prior = [types_pb2.UUID(value=i.to_bytes(16, "big")) for i in range(PRIOR)]
    events = book_of(aggregate.domain, prior)
    page = types_pb2.CommandPage(sequence=PRIOR, command=pack(command))
    return types_pb2.ContextualCommand(events=events, command=types_pb2.CommandBook(cover=events.cover, pages=[page]))


def test_revocation_does_not_fold_the_prior_history():
    aggregate, folded = _counting_aggregate()
    revoke = types_pb2.RevokeEventCommand(saga_name="saga-x", rejection_reason="no stock")
    response = aggregate.handle(_request(aggregate, revoke))
    assert response.WhichOneof("result") == "revocation"
    assert response.revocation.emit_system_revocation
    assert response.revocation.reason == "saga-x rejected: no stock"
    assert len(folded) == 0


def test_other_commands_still_fold_the_prior_history():
    aggregate, folded = _counting_aggregate()
    response = aggregate.handle(_request(aggregate, types_pb2.Edition(name="x")))
    assert response.WhichOneof("result") == "events"
    assert len(folded) == PRIOR
