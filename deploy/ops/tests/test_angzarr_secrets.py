"""angzarr_secrets.py: the Secrets the chart reads, written or applied, never leaking a URL."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import angzarr_secrets

SCRIPT = Path(angzarr_secrets.__file__)
PG = "postgres://angzarr:s3cret@db.example:5432/angzarr"
AMQP = "amqp://angzarr:h1dden@mq.example:5672/%2f"


def documents(text: str) -> list[dict]:
    return [json.loads(part) for part in text.split("---\n") if part.strip()]


def test_help_exits_zero():
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "Create or rotate" in done.stdout


def test_writes_both_secrets_with_the_chart_default_names(tmp_path, capsys):
    out = tmp_path / "secrets.yaml"
    assert angzarr_secrets.main(["--postgres-url", PG, "--amqp-url", AMQP, "--out", str(out), "-n", "prod"]) == 0
    docs = {d["metadata"]["name"]: d for d in documents(out.read_text())}
    assert set(docs) == {"angzarr-postgres", "angzarr-rabbitmq"}
    assert base64.b64decode(docs["angzarr-postgres"]["data"]["url"]).decode() == PG
    assert base64.b64decode(docs["angzarr-rabbitmq"]["data"]["url"]).decode() == AMQP
    assert all(d["metadata"]["namespace"] == "prod" and d["kind"] == "Secret" for d in docs.values())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    said = capsys.readouterr()
    assert "s3cret" not in said.out + said.err and "h1dden" not in said.out + said.err
    assert "fingerprint" in said.err


def test_urls_from_the_environment_and_custom_names(monkeypatch, capsys):
    monkeypatch.setenv("ANGZARR_PG_URL", PG)
    monkeypatch.setenv("ANGZARR_AMQP_URL", AMQP)
    code = angzarr_secrets.main(["--postgres-secret", "pg", "--rabbitmq-secret", "mq", "--key", "dsn", "--out", "-"])
    assert code == 0
    docs = documents(capsys.readouterr().out)
    assert [d["metadata"]["name"] for d in docs] == ["pg", "mq"]
    assert all(list(d["data"]) == ["dsn"] for d in docs)


def test_bad_or_missing_urls_are_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ANGZARR_PG_URL", raising=False)
    monkeypatch.delenv("ANGZARR_AMQP_URL", raising=False)
    out = tmp_path / "s.yaml"
    assert angzarr_secrets.main(["--postgres-url", "mysql://x@h/db", "--amqp-url", AMQP, "--out", str(out)]) == 2
    assert "postgres URL must look like postgres://" in capsys.readouterr().err
    assert angzarr_secrets.main(["--postgres-url", PG, "--out", str(out)]) == 2
    assert "missing --amqp-url" in capsys.readouterr().err
    assert not out.exists()


def test_apply_and_rotate_through_kubectl(fake_tools):
    fake_tools.add("kubectl")
    code = angzarr_secrets.main(
        ["--postgres-url", PG, "--amqp-url", AMQP, "-n", "prod", "--apply", "--restart", "--release", "rel"]
    )
    assert code == 0
    apply, restart = fake_tools.calls("kubectl")
    assert apply["argv"] == ["--namespace", "prod", "apply", "-f", "-"]
    assert {d["metadata"]["name"] for d in documents(apply["stdin"])} == {"angzarr-postgres", "angzarr-rabbitmq"}
    assert all(d["metadata"]["labels"]["app.kubernetes.io/instance"] == "rel" for d in documents(apply["stdin"]))
    assert restart["argv"] == [
        "--namespace", "prod", "rollout", "restart", "deployment,statefulset", "-l", "app.kubernetes.io/instance=rel",
    ]


def test_kubectl_failure_exits_one(fake_tools, capsys):
    fake_tools.add("kubectl", "print('forbidden', file=sys.stderr); sys.exit(1)")
    assert angzarr_secrets.main(["--postgres-url", PG, "--amqp-url", AMQP, "--apply"]) == 1
    assert "kubectl apply -f - failed: forbidden" in capsys.readouterr().err


def test_restart_needs_a_release():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--postgres-url", PG, "--amqp-url", AMQP, "--apply", "--restart"],
        capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert "--restart needs --apply and --release" in done.stderr
