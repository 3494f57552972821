"""`<program> health [--socket PATH] [--service NAME] [--timeout MS]`: asks a running program,
over its own socket, for grpc.health.v1 Check; prints one line and exits 0 when it answers
SERVING, 1 when it does not (or cannot be reached), 2 on bad usage. Kubernetes exec probes call
it (the kubelet cannot probe a Unix socket). Same usage, output and exit codes as the TypeScript
programs' `health` subcommand.
"""
import os
import sys

import grpc
from health.v1 import health_pb2

USAGE = """usage: <program> health [--socket PATH] [--service NAME] [--timeout MS]

  --socket PATH   the program's socket (default: ANGZARR_SOCKET)
  --service NAME  a service name to check (default "": the whole program)
  --timeout MS    give up after this many milliseconds (default 2000)
exit 0 when the program answers SERVING, 1 when it does not, 2 on bad usage"""

_OPTIONS = ("--socket", "--service", "--timeout")


def probe(socket_path: str, service: str = "", timeout_ms: int = 2000) -> tuple[bool, str]:
    """One Check over the socket: (serving, the line to print). Never raises."""
    address = f"unix:{socket_path}"
    channel = grpc.insecure_channel(address)
    try:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        answer = check(health_pb2.HealthCheckRequest(service=service), timeout=timeout_ms / 1000)
    except grpc.RpcError as err:
        detail = (err.details() or str(err.code())).splitlines()[0]  # type: ignore[union-attr]
        return False, f"NOT_SERVING {address}: {detail}"
    finally:
        channel.close()
    name = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return answer.status == health_pb2.HealthCheckResponse.SERVING, f"{name} {address}"


def health_command(args: list[str], env=os.environ, out=print) -> int:
    """Parses the arguments after `health`, probes, prints one line; returns the exit code."""
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-h", "--help"):
            out(USAGE)
            return 0
        name, eq, inline = arg.partition("=")
        if name not in _OPTIONS:
            out(f"health: unknown option {arg!r}")
            return 2
        if eq:
            values[name] = inline
        elif i + 1 < len(args):
            i += 1
            values[name] = args[i]
        else:
            out(f"health: option {name} needs a value")
            return 2
        i += 1
    socket_path = values.get("--socket") or env.get("ANGZARR_SOCKET") or ""
    if not socket_path:
        out("health: no socket: pass --socket PATH or set ANGZARR_SOCKET")
        return 2
    timeout = values.get("--timeout", "2000")
    if not timeout.isdigit() or int(timeout) <= 0:
        out(f"health: --timeout expects a positive integer (milliseconds), got {timeout!r}")
        return 2
    ok, line = probe(socket_path, values.get("--service", ""), int(timeout))
    out(line)
    return 0 if ok else 1


def main_if_health(argv: list[str] | None = None) -> None:
    """Runs the `health` subcommand and exits when argv names it; returns otherwise."""
    argv = sys.argv if argv is None else argv
    if len(argv) > 1 and argv[1] == "health":
        sys.exit(health_command(argv[2:]))
