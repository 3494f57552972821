#!/usr/bin/python3
"""Generates the Python message modules of examples/python/gen from the project's proto/ with
Debian's protoc (protobuf-compiler). `--check` generates into a scratch folder and fails when the
committed modules differ (the drift check `bun run test` runs).

Only message modules are generated (`--python_out`): the services are served through grpcio's
generic handlers (angzarr_sdk/server.py), so no grpc_tools plugin is needed.
"""
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PROTO = HERE.parent.parent / "proto"
GEN = HERE / "gen"
INCLUDE = Path("/usr/include")  # google/protobuf/*.proto from protobuf-compiler / libprotobuf-dev


def proto_files() -> list[str]:
    files = []
    for folder in ("angzarr", "examples", "health/v1"):
        for name in sorted(os.listdir(PROTO / folder)):
            if name.endswith(".proto"):
                files.append(f"{folder}/{name}")
    return files


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cmd = ["protoc", f"--python_out={out}", f"-I{PROTO}", f"-I{INCLUDE}", *proto_files()]
    subprocess.run(cmd, check=True, cwd=PROTO)
    # Packages for the generated folders (protoc writes none).
    for folder, _dirs, _files in os.walk(out):
        init = Path(folder) / "__init__.py"
        if not init.exists():
            init.write_text("")


def listing(root: Path) -> set[str]:
    return {
        str(Path(folder, name).relative_to(root))
        for folder, _dirs, files in os.walk(root)
        for name in files
        if "__pycache__" not in folder
    }


def main() -> int:
    if "--check" not in sys.argv:
        if GEN.exists():
            shutil.rmtree(GEN)
        generate(GEN)
        print(f"generated {len(listing(GEN))} files in examples/python/gen")
        return 0
    with tempfile.TemporaryDirectory(prefix="angzarr-pygen-") as scratch:
        fresh = Path(scratch)
        generate(fresh)
        want, have = listing(fresh), listing(GEN) if GEN.exists() else set()
        problems = [f"missing: gen/{n}" for n in sorted(want - have)]
        problems += [f"extra: gen/{n}" for n in sorted(have - want)]
        problems += [
            f"stale: gen/{n}" for n in sorted(want & have) if not filecmp.cmp(fresh / n, GEN / n, shallow=False)
        ]
        if problems:
            print("examples/python/gen is out of date (run examples/python/scripts/generate.py):", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        print(f"examples/python/gen is current ({len(want)} files)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
