"""Upcasters: old stored event versions read back as current ones. `rules` maps the old full
name to (OldType, fn(old) -> new message); other pages come back unchanged."""
from angzarr import upcaster_pb2, types_pb2

from . import any as anys


class Upcaster:
    def __init__(self, domain: str, rules: dict):
        self.domain = domain
        self.rules = {t.DESCRIPTOR.full_name: (t, fn) for t, fn in rules.items()}

    def upcast(self, request: upcaster_pb2.UpcastRequest) -> upcaster_pb2.UpcastResponse:
        out = []
        for page in request.events:
            rule = self.rules.get(anys.full_name(page.event.type_url))
            if rule is None:
                out.append(page)
                continue
            current = types_pb2.EventPage()
            current.CopyFrom(page)
            current.event.CopyFrom(anys.pack(rule[1](anys.decode_or_reject(page.event, rule[0]))))
            out.append(current)
        return upcaster_pb2.UpcastResponse(events=out)
