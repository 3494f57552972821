"""Functions on angzarr.CommandBook: the commands sagas and process managers emit."""
from angzarr import types_pb2
from google.protobuf.message import Message

from . import any as anys
from . import cover as covers


def command_for(domain: str, root: bytes, correlation_id: str, command: Message) -> types_pb2.CommandBook:
    """One command page at sequence 0 (the runtime stamps the real sequence)."""
    return types_pb2.CommandBook(
        cover=covers.make(domain, root, correlation_id),
        pages=[types_pb2.CommandPage(sequence=0, command=anys.pack(command))],
    )
