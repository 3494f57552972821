"""local_registry.py with a fake container engine, skaffold and kubectl, and a real HTTP endpoint
standing in for the registry's /v2/."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import local_registry

SCRIPT = Path(local_registry.__file__)


@pytest.fixture
def registry_endpoint():
    """An HTTP server answering GET /v2/ with 200, on a free port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            self.send_response(200 if self.path == "/v2/" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


ABSENT = "sys.exit(1 if argv[0] == 'inspect' else 0)"
RUNNING = "print('true') if argv[0] == 'inspect' else None"


def test_help_exits_zero():
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "skaffold dev" in done.stdout


def test_start_runs_the_registry_and_points_skaffold_at_it(fake_tools, registry_endpoint, capsys):
    fake_tools.add("podman", ABSENT)
    fake_tools.add("skaffold")
    assert local_registry.main(["start", "--port", str(registry_endpoint)]) == 0
    inspect, run = fake_tools.calls("podman")
    assert inspect["argv"][0] == "inspect"
    assert run["argv"] == [
        "run", "--detach", "--restart=always", "--name", "angzarr-registry",
        "--publish", f"127.0.0.1:{registry_endpoint}:5000", "docker.io/library/registry:2",
    ]
    repo = f"localhost:{registry_endpoint}"
    assert [c["argv"] for c in fake_tools.calls("skaffold")] == [
        ["config", "set", "--global", "default-repo", repo],
        ["config", "set", "--global", "insecure-registries", repo],
    ]
    assert f"registry ready: push to {repo}" in capsys.readouterr().out


def test_a_running_registry_is_reused_and_kind_is_wired(fake_tools, registry_endpoint):
    fake_tools.add("docker", RUNNING)
    fake_tools.add("skaffold")
    fake_tools.add("kubectl")
    code = local_registry.main(["start", "--engine", "docker", "--port", str(registry_endpoint), "--kind-cluster", "dev"])
    assert code == 0
    assert [c["argv"][0] for c in fake_tools.calls("docker")] == ["inspect", "network"]
    (apply,) = fake_tools.calls("kubectl")
    assert apply["argv"] == ["--context", "kind-dev", "apply", "-f", "-"]
    assert "name: local-registry-hosting" in apply["stdin"]
    assert f'host: "localhost:{registry_endpoint}"' in apply["stdin"]


def test_a_registry_that_never_answers_fails_naming_its_url(fake_tools, capsys):
    fake_tools.add("podman", ABSENT)
    assert local_registry.main(["start", "--port", "1", "--timeout", "1"]) == 1
    assert "registry at http://127.0.0.1:1/v2/ did not answer within 1s" in capsys.readouterr().err


def test_no_engine_is_a_clear_failure(fake_tools, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(fake_tools.bin))
    assert local_registry.main(["status"]) == 1
    assert "no container engine: install podman or docker" in capsys.readouterr().err


def test_status_and_stop(fake_tools, capsys):
    fake_tools.add("podman", RUNNING)
    assert local_registry.main(["status"]) == 0
    assert local_registry.main(["stop"]) == 0
    assert fake_tools.calls("podman")[-1]["argv"] == ["rm", "--force", "angzarr-registry"]
    fake_tools.add("podman", ABSENT)
    assert local_registry.main(["status"]) == 1
    assert "registry angzarr-registry: absent" in capsys.readouterr().out


def test_dry_run_prints_the_commands_and_runs_nothing(fake_tools, capsys):
    fake_tools.add("podman")
    assert local_registry.main(["start", "--dry-run", "--kind-cluster", "dev"]) == 0
    out = capsys.readouterr().out
    assert "+ podman run --detach --restart=always --name angzarr-registry" in out
    assert "+ kubectl --context kind-dev apply -f -" in out
    assert fake_tools.calls() == []


def test_bad_port_exits_two():
    done = subprocess.run([sys.executable, str(SCRIPT), "start", "--port", "70000"], capture_output=True, text=True)
    assert done.returncode == 2 and "--port must be 1..65535" in done.stderr
