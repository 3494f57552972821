"""serve(): one component's gRPC services plus grpc.health.v1 on the Unix socket the coordinator
names (`--socket PATH` or ANGZARR_SOCKET). Services are registered through grpcio's generic
handlers from the generated message classes, so no service stubs are generated.

`<program> health [--socket PATH]` probes a running instance instead (exit 0 when SERVING).
A Rejected raised by a handler is answered with its status code and exact message; anything
else is INTERNAL. Stops on SIGTERM/SIGINT, and when the runtime that started it is gone
(ANGZARR_PARENT_PID), so no program outlives its coordinator.
"""
import json
import os
import signal
import sys
import threading
import time
import traceback
from concurrent import futures
from typing import Callable

import grpc
from health.v1 import health_pb2

from .errors import Rejected
from .health import main_if_health

SERVING = health_pb2.HealthCheckResponse.SERVING


class Service:
    """One gRPC service: full name and its unary methods {name: (RequestType, fn(request))}."""

    def __init__(self, name: str, methods: dict[str, tuple[type, Callable]]):
        self.name = name
        self.methods = methods


def _log(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def _unary(fn: Callable, request_type) -> grpc.RpcMethodHandler:
    def behaviour(request, context: grpc.ServicerContext):
        try:
            return fn(request)
        except Rejected as rejected:
            context.abort(rejected.code, rejected.message)
        except Exception as err:  # a bug in the handler: INTERNAL, and the trace on stderr
            traceback.print_exc(file=sys.stderr)
            context.abort(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}")

    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=request_type.FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )


def health_service(served: list[str]) -> Service:
    statuses = {"": SERVING, **{name: SERVING for name in served}}

    def check(request: health_pb2.HealthCheckRequest):
        status = statuses.get(request.service)
        if status is None:
            raise Rejected(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service}")
        return health_pb2.HealthCheckResponse(status=status)

    def list_all(_request):
        return health_pb2.HealthListResponse(
            statuses={name: health_pb2.HealthCheckResponse(status=s) for name, s in statuses.items()}
        )

    return Service(
        "grpc.health.v1.Health",
        {"Check": (health_pb2.HealthCheckRequest, check), "List": (health_pb2.HealthListRequest, list_all)},
    )


def socket_from_args(argv: list[str] | None = None) -> str | None:
    argv = sys.argv if argv is None else argv
    if "--socket" in argv:
        i = argv.index("--socket")
        if i + 1 < len(argv):
            return argv[i + 1]
    return os.environ.get("ANGZARR_SOCKET")


def build_server(services: list[Service], address: str) -> grpc.Server:
    """A started-ready (not yet started) server for the services and their health, on `address`
    (`unix:/path` or `127.0.0.1:0`)."""
    max_bytes = int(os.environ.get("ANGZARR_MAX_MESSAGE_BYTES", str(64 * 1024 * 1024)))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", max_bytes), ("grpc.max_send_message_length", max_bytes)],
    )
    everything = [*services, health_service([s.name for s in services])]
    for service in everything:
        handlers = {name: _unary(fn, request_type) for name, (request_type, fn) in service.methods.items()}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.name, handlers),))
    server.bound_port = server.add_insecure_port(address)  # type: ignore[attr-defined]
    return server


def _watch_parent(on_gone: Callable[[], None]) -> None:
    text = os.environ.get("ANGZARR_PARENT_PID", "")
    if not text.isdigit() or int(text) <= 1:
        return
    pid = int(text)
    direct = os.getppid() == pid

    def alive() -> bool:
        if direct:
            return os.getppid() == pid
        try:
            os.kill(pid, 0)
            return True
        except PermissionError:
            return True
        except OSError:
            return False

    def loop() -> None:
        while alive():
            time.sleep(0.5)
        _log("handler.parent_gone", pid=os.getpid())
        on_gone()

    threading.Thread(target=loop, daemon=True).start()


def serve(services: list[Service], socket_path: str | None = None) -> None:
    """Serves until SIGTERM/SIGINT (or the parent runtime is gone). `<program> health ...` asks a
    running instance instead (angzarr_sdk.health) and exits."""
    main_if_health()
    socket_path = socket_path or socket_from_args()
    if not socket_path:
        print(json.dumps({"event": "handler.config_error", "message": "no socket: pass --socket PATH or set ANGZARR_SOCKET"}), file=sys.stderr)
        sys.exit(2)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = build_server(services, f"unix:{socket_path}")
    server.start()
    _log("handler.listening", socket=socket_path, pid=os.getpid(), transport="grpc")
    done = threading.Event()

    def stop(*_args) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _watch_parent(stop)
    while not done.wait(0.5):
        pass
    server.stop(grace=1).wait()
    sys.exit(0)
