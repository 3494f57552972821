"""Shared fixtures: the scripts' folder on sys.path, and fake command-line tools on PATH.

A fake tool is a small Python program written into a temporary bin folder: it records each call
(argv and stdin) as one JSON line in calls.jsonl and then runs the behaviour the test gave it.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

OPS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(OPS))

RECORDER = """#!/usr/bin/python3
import json, os, sys
argv = sys.argv[1:]
stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
with open(os.environ["FAKE_CALLS"], "a") as f:
    f.write(json.dumps({{"tool": {name!r}, "argv": argv, "stdin": stdin}}) + "\\n")
{behaviour}
"""


class FakeTools:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.log = root / "calls.jsonl"
        self.log.touch()
        monkeypatch.setenv("FAKE_CALLS", str(self.log))
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}")

    def add(self, name: str, behaviour: str = "sys.exit(0)") -> Path:
        path = self.bin / name
        path.write_text(RECORDER.format(name=name, behaviour=textwrap.dedent(behaviour)))
        path.chmod(0o755)
        return path

    def calls(self, tool: str | None = None) -> list[dict]:
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [r for r in rows if tool is None or r["tool"] == tool]


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    return FakeTools(tmp_path, monkeypatch)
