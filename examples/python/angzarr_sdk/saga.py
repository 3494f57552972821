"""Sagas: stateless translators from one domain's events to commands for another.
`react(decoded_page, context) -> [CommandBook]` for each page, in order."""
from dataclasses import dataclass
from typing import Callable

from angzarr import types_pb2

from . import cover as covers
from .components import DecodedPage, EventTypes, subscription


@dataclass
class SagaContext:
    source: types_pb2.EventBook
    destinations: list
    source_root: bytes | None
    correlation_id: str


class Saga:
    def __init__(self, name: str, input_domain: str, events: list, react: Callable[[DecodedPage, SagaContext], list]):
        self.name = name
        self.input_domain = input_domain
        self.types = EventTypes(events)
        self.react = react

    def descriptor(self) -> types_pb2.ComponentDescriptor:
        return types_pb2.ComponentDescriptor(
            name=self.name, component_type="saga", inputs=[subscription(self.input_domain, self.types)]
        )

    def prepare(self, _request: types_pb2.SagaPrepareRequest) -> types_pb2.SagaPrepareResponse:
        return types_pb2.SagaPrepareResponse()

    def execute(self, request: types_pb2.SagaExecuteRequest) -> types_pb2.SagaResponse:
        source = request.source
        context = SagaContext(
            source=source,
            destinations=list(request.destinations),
            source_root=covers.root_of(source.cover),
            correlation_id=source.cover.correlation_id,
        )
        commands = []
        for page in self.types.decode(source, self.name):
            commands.extend(self.react(page, context))
        return types_pb2.SagaResponse(commands=commands)
