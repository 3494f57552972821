"""Rejections a handler answers with: a gRPC status code and an exact message
(example-domains §1.4). Guard → FAILED_PRECONDITION, validate → INVALID_ARGUMENT,
require → NOT_FOUND."""
import grpc


class Rejected(Exception):
    """A command (or request) refused with a status code; the server answers it as such."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_argument(message: str) -> Rejected:
    return Rejected(grpc.StatusCode.INVALID_ARGUMENT, message)


def failed_precondition(message: str) -> Rejected:
    return Rejected(grpc.StatusCode.FAILED_PRECONDITION, message)


def not_found(message: str) -> Rejected:
    return Rejected(grpc.StatusCode.NOT_FOUND, message)


def guard(ok: bool, message: str) -> None:
    """A precondition on state alone (existence, status)."""
    if not ok:
        raise failed_precondition(message)


def validate(ok: bool, message: str) -> None:
    """A check of the command's input (or the input against state) that can never be right."""
    if not ok:
        raise invalid_argument(message)


def require(ok: bool, message: str) -> None:
    """A named item inside the aggregate must exist."""
    if not ok:
        raise not_found(message)
