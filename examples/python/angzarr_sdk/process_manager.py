"""Process managers: join several domains' events by correlation id, keep their own
event-sourced state (own domain, root from the correlation id) and issue commands.
`handle(trigger, state, destinations) -> (commands, events)`."""
from typing import Callable

from angzarr import process_manager_pb2, types_pb2

from . import any as anys
from .components import EventTypes, subscription
from .event_book import next_sequence


class ProcessManager:
    def __init__(
        self,
        name: str,
        state_domain: str,
        root_for: Callable[[str], bytes],
        inputs: list[tuple[str, list]],
        state_type,
        appliers: dict,
        prepare: Callable,
        handle: Callable,
    ):
        self.name = name
        self.state_domain = state_domain
        self.root_for = root_for
        self.inputs = [(domain, EventTypes(types)) for domain, types in inputs]
        self.state_type = state_type
        self.appliers = {t.DESCRIPTOR.full_name: (t, fn) for t, fn in appliers.items()}
        self._prepare = prepare
        self._handle = handle

    def descriptor(self) -> types_pb2.ComponentDescriptor:
        return types_pb2.ComponentDescriptor(
            name=self.name,
            component_type="process_manager",
            inputs=[subscription(domain, types) for domain, types in self.inputs],
        )

    def rebuild(self, book: types_pb2.EventBook | None):
        state = self.state_type()
        for page in book.pages if book is not None else []:
            entry = self.appliers.get(anys.full_name(page.event.type_url))
            if entry:
                entry[1](state, anys.unpack(page.event, entry[0]))
        return state

    def prepare(self, request: process_manager_pb2.ProcessManagerPrepareRequest):
        process_state = request.process_state if request.HasField("process_state") else None
        covers = self._prepare(request.trigger, self.rebuild(process_state))
        return process_manager_pb2.ProcessManagerPrepareResponse(destinations=covers)

    def handle(self, request: process_manager_pb2.ProcessManagerHandleRequest):
        trigger = request.trigger
        correlation_id = trigger.cover.correlation_id
        if correlation_id == "":
            return process_manager_pb2.ProcessManagerHandleResponse()
        process_state = request.process_state if request.HasField("process_state") else None
        state = self.rebuild(process_state)
        commands, events = self._handle(trigger, state, list(request.destinations))
        response = process_manager_pb2.ProcessManagerHandleResponse(commands=commands)
        if events:
            if process_state is not None and len(process_state.cover.root.value) == 16:
                cover = types_pb2.Cover()
                cover.CopyFrom(process_state.cover)
                cover.correlation_id = correlation_id
            else:
                cover = types_pb2.Cover(
                    domain=self.state_domain,
                    root=types_pb2.UUID(value=self.root_for(correlation_id)),
                    correlation_id=correlation_id,
                )
                if trigger.cover.HasField("edition"):
                    cover.edition.CopyFrom(trigger.cover.edition)
            first = next_sequence(process_state)
            pages = []
            for i, event in enumerate(events):
                if event.DESCRIPTOR.full_name not in self.appliers:
                    raise RuntimeError(f"{self.name}: no applier for {event.DESCRIPTOR.full_name}")
                pages.append(types_pb2.EventPage(num=first + i, event=anys.pack(event)))
            response.process_events.CopyFrom(types_pb2.EventBook(cover=cover, pages=pages))
        return response
