"""Functions on google.protobuf.Any: packing with the type.googleapis.com/ prefix and routing
by the full message name after the last '/' (example-domains §1.1)."""
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message

from .errors import invalid_argument

PREFIX = "type.googleapis.com/"


def full_name(type_url: str) -> str:
    """The routing key: the text after the last '/', compared whole (never a suffix)."""
    return type_url.rsplit("/", 1)[-1]


def pack(message: Message) -> any_pb2.Any:
    return any_pb2.Any(type_url=PREFIX + message.DESCRIPTOR.full_name, value=message.SerializeToString())


def is_type(value: any_pb2.Any, message_type) -> bool:
    return full_name(value.type_url) == message_type.DESCRIPTOR.full_name


def unpack(value: any_pb2.Any, message_type):
    """Decodes the payload; may raise DecodeError."""
    message = message_type()
    message.ParseFromString(value.value)
    return message


def decode_or_reject(value: any_pb2.Any, message_type):
    """Decodes a command; INVALID_ARGUMENT `failed to decode {name}: {detail}` when it cannot."""
    try:
        return unpack(value, message_type)
    except (DecodeError, ValueError, RuntimeError) as err:
        raise invalid_argument(f"failed to decode {message_type.DESCRIPTOR.full_name}: {err}") from err
