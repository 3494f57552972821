#!/usr/bin/python3
"""Start and initialise a local image registry for `skaffold dev`.

`skaffold dev` builds every image on each change and must put them where the cluster pulls from.
For a local cluster (kind, minikube, k3d, Docker Desktop) a registry on this machine is enough:

  local_registry.py start                         registry:2 on 127.0.0.1:5001, skaffold set up
  local_registry.py start --kind-cluster dev      also wire it into a kind cluster's network
  local_registry.py status | stop

`start` runs (or reuses) a container of the registry image with podman or docker, waits until
its /v2/ endpoint answers, then points skaffold at it (default-repo and insecure-registries, in
skaffold's global config) and, for kind, joins the registry to the cluster's network and
publishes the `local-registry-hosting` ConfigMap (KEP-1755) so tools discover it.
--dry-run prints the commands instead of running them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

HOSTING_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:{port}"
    hostFromContainerRuntime: "{name}:5000"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
"""


class Failure(Exception):
    pass


class Runner:
    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def run(self, *cmd: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        if self.dry_run:
            print("+ " + " ".join(cmd))
            return subprocess.CompletedProcess(cmd, 0, "", "")
        done = subprocess.run(list(cmd), input=stdin, text=True, capture_output=True)
        if check and done.returncode != 0:
            raise Failure(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()}")
        return done


def find_engine(wanted: str | None) -> str:
    for name in [wanted] if wanted else ["podman", "docker"]:
        if shutil.which(name):
            return name
    raise Failure(f"no container engine: install {wanted or 'podman or docker'}")


def state(runner: Runner, engine: str, name: str) -> str:
    """running, stopped or absent."""
    if runner.dry_run:
        return "absent"
    done = runner.run(engine, "inspect", "--format", "{{.State.Running}}", name, check=False)
    if done.returncode != 0:
        return "absent"
    return "running" if done.stdout.strip() == "true" else "stopped"


def wait_for_registry(port: int, timeout: float) -> None:
    url = f"http://127.0.0.1:{port}/v2/"
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
                last = f"HTTP {res.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except OSError as e:
            last = str(getattr(e, "reason", e))
        time.sleep(0.3)
    raise Failure(f"registry at {url} did not answer within {timeout:g}s ({last})")


def start(args: argparse.Namespace, runner: Runner) -> None:
    engine = find_engine(args.engine)
    current = state(runner, engine, args.name)
    if current == "running":
        print(f"registry {args.name} already running")
    elif current == "stopped":
        runner.run(engine, "start", args.name)
    else:
        runner.run(engine, "run", "--detach", "--restart=always", "--name", args.name,
                   "--publish", f"127.0.0.1:{args.port}:5000", args.image)
    if not runner.dry_run:
        wait_for_registry(args.port, args.timeout)
    repo = f"localhost:{args.port}"
    if shutil.which("skaffold") or runner.dry_run:
        runner.run("skaffold", "config", "set", "--global", "default-repo", repo)
        runner.run("skaffold", "config", "set", "--global", "insecure-registries", repo)
    else:
        print(f"skaffold not found: pass --default-repo={repo} to skaffold (or set SKAFFOLD_DEFAULT_REPO)")
    if args.kind_cluster:
        done = runner.run(engine, "network", "connect", "kind", args.name, check=False)
        if done.returncode != 0 and "already" not in (done.stderr + done.stdout):
            raise Failure(f"could not join {args.name} to the kind network: {(done.stderr or done.stdout).strip()}")
        kubectl = ["kubectl", "--context", f"kind-{args.kind_cluster}"]
        runner.run(*kubectl, "apply", "-f", "-", stdin=HOSTING_CONFIGMAP.format(port=args.port, name=args.name))
    print(f"registry ready: push to {repo}")


def stop(args: argparse.Namespace, runner: Runner) -> None:
    engine = find_engine(args.engine)
    if state(runner, engine, args.name) == "absent" and not runner.dry_run:
        print(f"registry {args.name} is not there")
        return
    runner.run(engine, "rm", "--force", args.name)
    print(f"registry {args.name} removed")


def status(args: argparse.Namespace, runner: Runner) -> int:
    engine = find_engine(args.engine)
    current = state(runner, engine, args.name)
    print(f"registry {args.name}: {current}")
    return 0 if current == "running" else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="local_registry.py",
        description="Start and initialise a local image registry for `skaffold dev`.",
        epilog="Exit codes: 0 done (status: running), 1 failed (status: not running), 2 bad usage.",
    )
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--engine", choices=["podman", "docker"], help="container engine (default: podman, else docker)")
    p.add_argument("--name", default="angzarr-registry", help="container name (default angzarr-registry)")
    p.add_argument("--port", type=int, default=5001, help="local port (default 5001)")
    p.add_argument("--image", default="docker.io/library/registry:2", help="registry image")
    p.add_argument("--kind-cluster", help="also wire the registry into this kind cluster")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the registry (default 30)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = p.parse_args(argv)
    if not 1 <= args.port <= 65535:
        p.error(f"--port must be 1..65535, got {args.port}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    runner = Runner(args.dry_run)
    try:
        if args.action == "start":
            start(args, runner)
        elif args.action == "stop":
            stop(args, runner)
        else:
            return status(args, runner)
        return 0
    except Failure as e:
        print(f"local_registry.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
