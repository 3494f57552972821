"""The `health` subcommand against a real server on a Unix socket (and against nothing)."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from angzarr_sdk.health import health_command
from angzarr_sdk.server import build_server

HERE = Path(__file__).resolve().parent.parent


def _lines(args, env=None):
    said: list[str] = []
    code = health_command(args, env=env or {}, out=said.append)
    return code, said


def test_serving_program_answers_serving_and_exit_0():
    with tempfile.TemporaryDirectory(prefix="az-py-health-") as folder:
        socket_path = os.path.join(folder, "p.sock")
        server = build_server([], f"unix:{socket_path}")
        server.start()
        try:
            assert _lines(["--socket", socket_path]) == (0, [f"SERVING unix:{socket_path}"])
            # ANGZARR_SOCKET when --socket is absent, as the chart's sidecars have it.
            assert _lines([], env={"ANGZARR_SOCKET": socket_path})[0] == 0
            code, said = _lines(["--socket", socket_path, "--service", "no.such.Service"])
            assert code == 1 and said[0].startswith(f"NOT_SERVING unix:{socket_path}: unknown service")
        finally:
            server.stop(grace=0).wait()


def test_no_program_on_the_socket_is_exit_1_with_one_line():
    with tempfile.TemporaryDirectory(prefix="az-py-health-") as folder:
        code, said = _lines(["--socket", os.path.join(folder, "none.sock"), "--timeout", "300"])
        assert code == 1 and len(said) == 1 and said[0].startswith("NOT_SERVING unix:")


def test_bad_usage_is_exit_2():
    assert _lines([]) == (2, ["health: no socket: pass --socket PATH or set ANGZARR_SOCKET"])
    assert _lines(["--socket", "/x", "--timeout", "soon"])[0] == 2
    assert _lines(["--bogus"])[0] == 2


def test_every_program_has_the_subcommand():
    """A program's module run with `health` probes instead of serving (nothing listens: exit 1)."""
    with tempfile.TemporaryDirectory(prefix="az-py-health-") as folder:
        done = subprocess.run(
            [sys.executable, "-m", "domains.order.agg.main", "health", "--socket", os.path.join(folder, "x.sock"), "--timeout", "300"],
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, done.stderr
        assert done.stdout.startswith("NOT_SERVING unix:")


def test_every_program_module_is_named_once():
    from angzarr_sdk.programs import PROGRAMS

    found = sorted(
        ".".join(path.relative_to(HERE).with_suffix("").parts) for path in (HERE / "domains").rglob("main.py")
    )
    assert sorted(PROGRAMS.values()) == found


def test_launch_runs_a_program_by_name_and_through_a_link():
    from angzarr_sdk.programs import link

    with tempfile.TemporaryDirectory(prefix="az-py-launch-") as folder:
        socket_path = os.path.join(folder, "none.sock")
        link(os.path.join(folder, "bin"), str(HERE / "launch.py"))
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        for argv in (
            [sys.executable, str(HERE / "launch.py"), "saga-order-customer"],
            [os.path.join(folder, "bin", "projector-customer-loyalty")],
        ):
            done = subprocess.run(
                [*argv, "health", "--socket", socket_path, "--timeout", "300"],
                env=env, capture_output=True, text=True, timeout=60,
            )
            assert done.returncode == 1, done.stderr
            assert done.stdout.startswith(f"NOT_SERVING unix:{socket_path}")
        unknown = subprocess.run([sys.executable, str(HERE / "launch.py"), "agg-nothing"], env=env, capture_output=True, text=True, timeout=60)
        assert unknown.returncode == 2 and "programs: agg-cart" in unknown.stderr
