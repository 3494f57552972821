"""Projectors: one domain's events into a read model. `project(pages, book, speculative)`
returns the payload (an Any) or None; a speculative run computes the same and writes nothing.
A book holding `angzarr.EditionEventsDeleted` asks to drop what was kept for that edition."""
import json
import sys
from typing import Callable

from angzarr import types_pb2

from . import any as anys
from . import cover as covers
from .components import EventTypes, subscription
from .event_book import page_sequence


class Projector:
    def __init__(self, name: str, input_domain: str, events: list, project: Callable, delete_edition: Callable[[str], None]):
        self.name = name
        self.input_domain = input_domain
        self.types = EventTypes(events)
        self.project = project
        self.delete_edition = delete_edition

    def descriptor(self) -> types_pb2.ComponentDescriptor:
        return types_pb2.ComponentDescriptor(
            name=self.name, component_type="projector", inputs=[subscription(self.input_domain, self.types)]
        )

    def handle(self, book: types_pb2.EventBook, speculative: bool = False) -> types_pb2.Projection:
        projection = types_pb2.Projection(projector=self.name)
        if book.HasField("cover"):
            projection.cover.CopyFrom(book.cover)
        for page in book.pages:
            if anys.is_type(page.event, types_pb2.EditionEventsDeleted):
                edition = anys.unpack(page.event, types_pb2.EditionEventsDeleted).edition
                if not speculative and edition not in covers.MAIN_EDITIONS:
                    self.delete_edition(edition)
                return projection
        pages = self.types.decode(book, self.name)
        payload = self.project(pages, book, speculative)
        if book.pages:
            projection.sequence = max(page_sequence(book.pages[-1]), 0)
        if payload is not None:
            projection.projection.CopyFrom(payload)
        return projection
