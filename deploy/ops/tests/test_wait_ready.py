"""wait_ready.py against real gRPC servers: grpcio health servers in this process, and the real
angzarr coordinator (`angzarr standalone`) when bun is on PATH."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
import pytest

import wait_ready

SCRIPT = Path(wait_ready.__file__)
ROOT = SCRIPT.parent.parent.parent


class HealthServer:
    """A grpc.health.v1 server whose answer the test sets (raw bytes, no generated code)."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))

        def check(request: bytes, context) -> bytes:
            return b"\x08" + bytes([self.status])

        handler = grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health",
            {"Check": grpc.unary_unary_rpc_method_handler(check, lambda b: b, lambda b: b)},
        )
        self.server.add_generic_rpc_handlers((handler,))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(None)


@pytest.fixture
def servers():
    made: list[HealthServer] = []

    def make(status: int) -> HealthServer:
        made.append(HealthServer(status))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def test_protobuf_encoding():
    assert wait_ready.encode_request("") == b""
    assert wait_ready.encode_request("a.B") == b"\x0a\x03a.B"
    assert wait_ready.encode_request("x" * 200)[:3] == b"\x0a\xc8\x01"
    assert wait_ready.decode_status(b"") == 0
    assert wait_ready.decode_status(b"\x08\x01") == 1
    assert wait_ready.decode_status(b"\x12\x02hi\x08\x02") == 2


def test_all_serving_exits_zero(servers, capsys):
    a, b = servers(1), servers(1)
    assert wait_ready.main(["--target", f"gateway={a.address}", "--target", f"agg-order={b.address}"]) == 0
    assert "all 2 roles SERVING" in capsys.readouterr().out


def test_names_every_role_that_is_not_serving(servers, capsys):
    ok, sick = servers(1), servers(2)
    code = wait_ready.main([
        "--target", f"gateway={ok.address}", "--target", f"saga-x={sick.address}",
        "--target", "agg-gone=127.0.0.1:1", "--timeout", "1", "--interval", "0.2",
    ])
    assert code == 1
    err = capsys.readouterr().err
    assert "saga-x not SERVING after 1s: NOT_SERVING" in err
    assert re.search(r"agg-gone not SERVING after 1s: unreachable \(UNAVAILABLE", err)
    assert "gateway" not in err


def test_waits_for_a_role_that_comes_up_late(servers):
    late = servers(2)
    timer = threading.Timer(0.5, lambda: setattr(late, "status", 1))
    timer.start()
    try:
        assert wait_ready.main(["--target", f"pm={late.address}", "--timeout", "20", "--interval", "0.2"]) == 0
    finally:
        timer.cancel()


def test_release_mode_finds_services_and_port_forwards(servers, fake_tools, monkeypatch):
    gateway = servers(1)
    monkeypatch.setenv("FAKE_FORWARD_PORT", str(gateway.port))
    fake_tools.add("kubectl", """
        import time
        if "get" in argv:
            print(json.dumps({"items": [
                {"metadata": {"name": "rel-angzarr-gateway", "labels": {"app.kubernetes.io/component": "gateway"}},
                 "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "grpc", "port": 1310}]}},
                {"metadata": {"name": "rel-angzarr-standalone-headless"},
                 "spec": {"clusterIP": "None", "ports": [{"name": "grpc", "port": 1310}]}},
                {"metadata": {"name": "other"}, "spec": {"clusterIP": "10.0.0.2", "ports": [{"name": "http", "port": 80}]}},
            ]}))
        else:
            print("Forwarding from 127.0.0.1:" + os.environ["FAKE_FORWARD_PORT"] + " -> 1310", flush=True)
            time.sleep(30)
    """)
    assert wait_ready.main(["--release", "rel", "-n", "prod", "--timeout", "10"]) == 0
    get, forward = fake_tools.calls("kubectl")
    assert get["argv"] == [
        "--namespace", "prod", "get", "services", "-l", "app.kubernetes.io/instance=rel", "-o", "json",
    ]
    assert forward["argv"][:4] == ["--namespace", "prod", "port-forward", "service/rel-angzarr-gateway"]


def test_help_exits_zero():
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "gRPC health" in done.stdout


def test_bad_usage_exits_two():
    for args in ([], ["--target", "nohostport"], ["--release", "r", "--target", "a=h:1"]):
        done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
        assert done.returncode == 2, args


def test_against_the_real_coordinator(tmp_path):
    bun = os.environ.get("ANGZARR_BUN") or shutil.which("bun")
    assert bun, "bun is needed (the test command passes ANGZARR_BUN)"
    config = tmp_path / "angzarr.yaml"
    config.write_text("storage: { backend: memory }\ncomponents: []\n")
    proc = subprocess.Popen(
        [bun, str(ROOT / "runtime/cli/main.ts"), "standalone", "--config", str(config), "--port", "0",
         "--data", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "ANGZARR_LOG": "warn"},
    )
    try:
        port = None
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = m.group(1)
                break
        assert port, "the coordinator did not start"
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--target", f"standalone=127.0.0.1:{port}", "--timeout", "30"],
            capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stderr
        assert "standalone: SERVING" in done.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=15)
