#!/usr/bin/python3
"""Create or rotate the Secrets the angzarr chart reads (distributed mode).

The chart never holds connection URLs in values: its pods read ANGZARR_PG_URL and
ANGZARR_AMQP_URL from two existing Secrets named in values (secrets.postgres, secrets.rabbitmq).
This script writes those Secrets as manifests, or applies them with kubectl, and after a
rotation restarts the release's workloads so every pod reads the new URLs.

  angzarr_secrets.py --postgres-url URL --amqp-url URL --out secrets.yaml
  angzarr_secrets.py --namespace prod --apply --restart --release angzarr   (URLs from env)

URLs come from the flags or from ANGZARR_PG_URL / ANGZARR_AMQP_URL, so they stay out of shell
history. Nothing secret is printed: only Secret names and a short fingerprint of each value.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.parse

DEFAULTS = {
    "postgres": ("angzarr-postgres", ("postgres", "postgresql")),
    "rabbitmq": ("angzarr-rabbitmq", ("amqp", "amqps")),
}


class UsageError(Exception):
    pass


def check_url(kind: str, url: str) -> str:
    schemes = DEFAULTS[kind][1]
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise UsageError(
            f"{kind} URL must look like {schemes[0]}://user:password@host:port/..., got scheme "
            f"{parsed.scheme or '(none)'!r}{'' if parsed.hostname else ' and no host'}"
        )
    return url


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def secret_manifest(name: str, namespace: str | None, key: str, value: str, release: str | None, now: str) -> dict:
    metadata: dict = {
        "name": name,
        "labels": {"app.kubernetes.io/part-of": "angzarr"},
        "annotations": {"angzarr.io/rotated-at": now, "angzarr.io/fingerprint": fingerprint(value)},
    }
    if release:
        metadata["labels"]["app.kubernetes.io/instance"] = release
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": metadata,
        "data": {key: base64.b64encode(value.encode()).decode()},
    }


def to_yaml(documents: list[dict]) -> str:
    """YAML for the documents: JSON is YAML, one document per `---`, so no parser is needed."""
    return "".join(f"---\n{json.dumps(doc, indent=2, sort_keys=True)}\n" for doc in documents)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="angzarr_secrets.py",
        description="Create or rotate the PostgreSQL and RabbitMQ URL Secrets the angzarr chart reads.",
        epilog="Exit codes: 0 done, 1 kubectl failed, 2 bad usage.",
    )
    p.add_argument("--postgres-url", help="PostgreSQL URL (default: $ANGZARR_PG_URL)")
    p.add_argument("--amqp-url", help="RabbitMQ URL (default: $ANGZARR_AMQP_URL)")
    p.add_argument("--postgres-secret", default=DEFAULTS["postgres"][0], help="Secret name (values secrets.postgres.name)")
    p.add_argument("--rabbitmq-secret", default=DEFAULTS["rabbitmq"][0], help="Secret name (values secrets.rabbitmq.name)")
    p.add_argument("--key", default="url", help="key inside each Secret (values secrets.*.key; default url)")
    p.add_argument("--namespace", "-n", help="namespace of the Secrets")
    p.add_argument("--release", help="Helm release: labels the Secrets; --restart restarts its workloads")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="write the manifests to this file ('-' for stdout)")
    where.add_argument("--apply", action="store_true", help="apply them with kubectl (create or replace)")
    p.add_argument("--restart", action="store_true", help="after --apply, roll the release's pods (needs --release)")
    p.add_argument("--kubectl", default="kubectl", help="kubectl executable (default: kubectl on PATH)")
    args = p.parse_args(argv)
    if args.restart and not (args.apply and args.release):
        p.error("--restart needs --apply and --release")
    return args


def kubectl(args: argparse.Namespace, *cmd: str, stdin: str | None = None) -> None:
    exe = shutil.which(args.kubectl)
    if exe is None:
        raise UsageError(f"{args.kubectl} not found: install kubectl or use --out FILE")
    full = [exe, *(["--namespace", args.namespace] if args.namespace else []), *cmd]
    done = subprocess.run(full, input=stdin, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")
    if done.stdout.strip():
        print(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        pg = args.postgres_url or os.environ.get("ANGZARR_PG_URL")
        amqp = args.amqp_url or os.environ.get("ANGZARR_AMQP_URL")
        if not pg or not amqp:
            missing = [n for n, v in (("--postgres-url / ANGZARR_PG_URL", pg), ("--amqp-url / ANGZARR_AMQP_URL", amqp)) if not v]
            raise UsageError(f"missing {' and '.join(missing)}")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        docs = [
            secret_manifest(args.postgres_secret, args.namespace, args.key, check_url("postgres", pg), args.release, now),
            secret_manifest(args.rabbitmq_secret, args.namespace, args.key, check_url("rabbitmq", amqp), args.release, now),
        ]
        text = to_yaml(docs)
        if args.out == "-":
            sys.stdout.write(text)
        elif args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(text)
        else:
            kubectl(args, "apply", "-f", "-", stdin=text)
            if args.restart:
                selector = f"app.kubernetes.io/instance={args.release}"
                kubectl(args, "rollout", "restart", "deployment,statefulset", "-l", selector)
        for doc in docs:
            name, value = doc["metadata"]["name"], doc["metadata"]["annotations"]["angzarr.io/fingerprint"]
            print(f"secret {name}: key {args.key}, fingerprint {value}", file=sys.stderr)
        return 0
    except UsageError as e:
        print(f"angzarr_secrets.py: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"angzarr_secrets.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
