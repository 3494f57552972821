#!/usr/bin/python3
"""Wait until every angzarr role answers gRPC health (grpc.health.v1.Health/Check = SERVING).

After `skaffold run` / `helm upgrade`, each role (the gateway or the standalone runtime, and one
per aggregate, saga, projector and process manager) must answer SERVING on its gRPC port. The
roles are found from the release's Services (label app.kubernetes.io/instance=RELEASE, port named
grpc) and reached through `kubectl port-forward`; or given directly with --target NAME=HOST:PORT.
Exits 0 once all are SERVING, 1 naming every role that was not by the deadline, 2 on bad usage.

  wait_ready.py --release angzarr --namespace prod --timeout 300
  wait_ready.py --target gateway=127.0.0.1:1310 --target agg-order=127.0.0.1:1320
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import grpc

STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


@dataclass
class Target:
    role: str
    address: str  # host:port


def encode_request(service: str) -> bytes:
    """grpc.health.v1.HealthCheckRequest: field 1 (service), a length-delimited string."""
    raw = service.encode()
    if not raw:
        return b""
    out = bytearray(b"\x0a")
    n = len(raw)
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + raw


def read_varint(body: bytes, i: int) -> tuple[int, int]:
    """A protobuf varint at body[i]: (value, index after it)."""
    value, shift = 0, 0
    while True:
        b = body[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def decode_status(body: bytes) -> int:
    """grpc.health.v1.HealthCheckResponse: field 1 (status), a varint; absent means UNKNOWN."""
    i, status = 0, 0
    try:
        while i < len(body):
            tag, i = read_varint(body, i)
            if tag & 0x07 == 0:
                value, i = read_varint(body, i)
                if tag >> 3 == 1:
                    status = value
            elif tag & 0x07 == 2:  # length-delimited: skip
                n, i = read_varint(body, i)
                i += n
            else:
                raise ValueError(f"unexpected wire type {tag & 0x07}")
    except IndexError:
        raise ValueError("truncated message") from None
    return status


def check(address: str, service: str = "", timeout: float = 3.0) -> tuple[bool, str]:
    """One Check call; returns (serving, what to say)."""
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        try:
            status = decode_status(call(encode_request(service), timeout=timeout))
        except grpc.RpcError as e:
            code = e.code().name if e.code() else "UNKNOWN"
            return False, f"unreachable ({code}: {(e.details() or '').splitlines()[0] if e.details() else ''})"
        except ValueError as e:
            return False, f"bad answer ({e})"
    name = STATUS.get(status, str(status))
    return status == 1, name


def kubectl_json(kubectl: str, namespace: str | None, *args: str) -> dict:
    ns = ["--namespace", namespace] if namespace else []
    done = subprocess.run([kubectl, *ns, *args, "-o", "json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def services_of(kubectl: str, namespace: str | None, release: str) -> list[tuple[str, str, int]]:
    """(role, service, port) for each Service of the release with a port named grpc (not headless)."""
    found = kubectl_json(kubectl, namespace, "get", "services", "-l", f"app.kubernetes.io/instance={release}")
    out = []
    for svc in found.get("items", []):
        spec, meta = svc.get("spec", {}), svc.get("metadata", {})
        if spec.get("clusterIP") == "None":
            continue
        port = next((p["port"] for p in spec.get("ports", []) if p.get("name") == "grpc"), None)
        if port is None:
            continue
        role = meta.get("labels", {}).get("app.kubernetes.io/component", meta.get("name", "?"))
        out.append((role, meta["name"], int(port)))
    return sorted(out)


class PortForward:
    """`kubectl port-forward service/NAME :PORT`, on a free local port, until closed."""

    def __init__(self, kubectl: str, namespace: str | None, service: str, port: int) -> None:
        ns = ["--namespace", namespace] if namespace else []
        self.proc = subprocess.Popen(
            [kubectl, *ns, "port-forward", f"service/{service}", f":{port}", "--address", "127.0.0.1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.address = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            m = re.search(r"Forwarding from 127\.0\.0\.1:(\d+)", line)
            if m:
                self.address = f"127.0.0.1:{m.group(1)}"
                break
        if not self.address:
            self.close()
            raise RuntimeError(f"kubectl port-forward service/{service} did not start")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def parse_target(text: str) -> Target:
    role, sep, address = text.partition("=")
    if not sep or not role or not re.fullmatch(r"[^:\s]+:\d+", address):
        raise argparse.ArgumentTypeError(f"expected NAME=HOST:PORT, got {text!r}")
    return Target(role, address)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="wait_ready.py",
        description="Wait until every angzarr role answers gRPC health SERVING.",
        epilog="Exit codes: 0 all SERVING, 1 some role was not (named on stderr), 2 bad usage.",
    )
    p.add_argument("--release", help="Helm release whose Services to check (through kubectl port-forward)")
    p.add_argument("--namespace", "-n", help="namespace of the release")
    p.add_argument("--target", action="append", type=parse_target, default=[], metavar="NAME=HOST:PORT",
                   help="check this address directly (repeatable); instead of --release")
    p.add_argument("--service", default="", help="health service name to ask for (default '': the whole process)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait in all (default 300)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between rounds (default 2)")
    p.add_argument("--kubectl", default="kubectl", help="kubectl executable (default: kubectl on PATH)")
    args = p.parse_args(argv)
    if bool(args.release) == bool(args.target):
        p.error("give either --release or --target")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    forwards: list[PortForward] = []
    deadline = time.monotonic() + args.timeout
    try:
        if args.target:
            targets = args.target
        else:
            kubectl = shutil.which(args.kubectl)
            if kubectl is None:
                print(f"wait_ready.py: {args.kubectl} not found: install kubectl or use --target", file=sys.stderr)
                return 2
            services = services_of(kubectl, args.namespace, args.release)
            if not services:
                print(f"wait_ready.py: no Services with a grpc port for release {args.release}", file=sys.stderr)
                return 1
            targets = []
            for role, service, port in services:
                forward = PortForward(kubectl, args.namespace, service, port)
                forwards.append(forward)
                targets.append(Target(role, forward.address))
        pending = {t.role: "not checked yet" for t in targets}
        while True:
            for t in targets:
                if t.role not in pending:
                    continue
                ok, said = check(t.address, args.service, timeout=min(5.0, max(0.5, deadline - time.monotonic())))
                if ok:
                    del pending[t.role]
                    print(f"{t.role}: SERVING ({t.address})")
                else:
                    pending[t.role] = said
            if not pending:
                print(f"all {len(targets)} roles SERVING")
                return 0
            if time.monotonic() + args.interval > deadline:
                break
            time.sleep(args.interval)
        for role, said in sorted(pending.items()):
            print(f"wait_ready.py: {role} not SERVING after {args.timeout:g}s: {said}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        print(f"wait_ready.py: {e}", file=sys.stderr)
        return 1
    finally:
        for forward in forwards:
            forward.close()


if __name__ == "__main__":
    sys.exit(main())
