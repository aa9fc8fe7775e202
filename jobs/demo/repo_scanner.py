"""The repo-scanner sandbox: a git repository with what the scanner exists to catch.

Planted at demo time with fresh random values of the real formats: an AWS key pair in a
`.env`, a GitHub token in YAML, a private key, a PostgreSQL URL with a password in code, and
a Slack-style webhook committed and then removed (only history has it). Beside them a
`requirements.txt` pinning a vulnerable PyYAML with a small OSV folder holding its advisory
(written here, so nothing is downloaded), a vendored npm package under GPL-3.0 (a denied
license), and code semgrep's rules flag. The run reads history and writes SARIF and a
CycloneDX SBOM into the demo's folder; nothing reaches the network.
"""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml

from jobs.core.invoke import RunRequest, request_from_options
from jobs.core.registry import JOBS
from jobs.demo.planting import Repo, aws_key_pair, github_token, new_repo, password, postgres_url, private_key_pem

#: the advisory the demo's OSV folder holds (PyYAML's full_load RCE, fixed in 5.4)
ADVISORY = "PYSEC-2021-142"


def prepare(directory: Path) -> RunRequest:
    if directory.exists():  # a second demo run starts from a fresh sandbox
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    repo = new_repo(directory / "shop-api")
    _history(repo)
    osv = _osv(directory / "osv")
    config = directory / "secops.yaml"
    config.write_text(yaml.safe_dump(_settings(directory, repo, osv), sort_keys=False))
    options = {
        "config": str(config),
        "sarif": str(directory / "repo-scanner.sarif"),
        "sbom": str(directory / "repo-scanner.cdx.json"),
    }
    return request_from_options(JOBS["repo-scanner"], options)


def _settings(directory: Path, repo: Repo, osv: Path) -> dict[str, object]:
    """SAST finds the venv's semgrep itself (beside this interpreter) when the `sast` extra is
    there; without it the demo turns SAST off and says so (enabled, a missing semgrep is an
    error: the run would be partial for a reason the sandbox chose)."""
    from jobs.repo_scanner.scanners.sast import find_semgrep

    sast: dict[str, object] = {"timeout_seconds": 120}
    if find_semgrep("semgrep") is None:
        print("repo-scanner: SAST off in the demo: semgrep is not installed (pip install -e '.[sast]')")
        sast = {"enabled": False}
    return {
        "log_level": "warning",
        "state_db_url": f"sqlite:///{directory / 'state.db'}",
        "notifications": {"file": {"path": str(directory / "outbox.jsonl")}},
        "repo_scanner": {
            "targets": [{"path": str(repo.root), "name": "shop-api"}],
            "history": True,
            "cache_dir": str(directory / "cache"),
            "fingerprint_key": secrets.token_hex(32),
            "scanners": {"sast": sast, "dependencies": {"osv_db": str(osv)}},
        },
    }


def _history(repo: Repo) -> None:
    """Four commits: the app, its secrets, a webhook added, the webhook removed."""
    repo.commit(
        {
            "README.md": "# shop-api\n\nThe shop's order API.\n",
            "requirements.txt": "fastapi==0.110.0\npyyaml==5.3.1\n",
            "app/orders.py": _ORDERS,
            "node_modules/left-pad-gpl/package.json": json.dumps(
                {"name": "left-pad-gpl", "version": "1.3.0", "license": "GPL-3.0"}, indent=2
            )
            + "\n",
        },
        "orders API",
        when="2026-10-01T09:00:00+00:00",
    )
    key_id, secret_key = aws_key_pair()
    url, _ = postgres_url()
    repo.commit(
        {
            ".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret_key}\nAWS_REGION=eu-west-1\n",
            "deploy/ci.yaml": f"github:\n  org: shop\n  token: {github_token()}\n",
            "deploy/deploy_key": private_key_pem(),
            "app/settings.py": f'DATABASE_URL = "{url}"\nDEBUG = False\n',
        },
        "deployment settings",
        when="2026-10-02T09:00:00+00:00",
    )
    hook = f"https://hooks.slack.com/services/T{password(8).upper()}/B{password(10).upper()}/{password(24)}"
    repo.commit(
        {"scripts/notify.sh": f'#!/bin/sh\ncurl -X POST -d "$1" {hook}\n'}, "notify", when="2026-10-03T09:00:00+00:00"
    )
    repo.commit({"scripts/notify.sh": None}, "drop the notify script", when="2026-10-04T09:00:00+00:00")


_ORDERS = '''"""Orders: the endpoints."""
import hashlib
import subprocess

import yaml


def load_order(text):
    return yaml.load(text)  # an unsafe loader on input


def archive(name):
    subprocess.call("tar czf /tmp/" + name + ".tgz orders/", shell=True)


def order_token(order_id):
    return hashlib.md5(order_id.encode()).hexdigest()


def find(db, customer):
    return db.execute("SELECT * FROM orders WHERE customer = '" + customer + "'")
'''


def _osv(folder: Path) -> Path:
    """One OSV advisory, as osv.dev publishes it (one JSON per advisory), modified today so the
    database is fresh."""
    folder.mkdir(parents=True)
    advisory = {
        "schema_version": "1.6.0",
        "id": ADVISORY,
        "aliases": ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
        "modified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "published": "2021-02-09T21:15:00Z",
        "summary": "PyYAML full_load and FullLoader allow arbitrary code execution",
        "details": "A vulnerability in PyYAML before 5.4 allows arbitrary code execution when processing "
        "untrusted YAML files through the full_load method or with the FullLoader loader.",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pyyaml", "purl": "pkg:pypi/pyyaml"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.4"}]}],
            }
        ],
        "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-14343"}],
    }
    (folder / f"{ADVISORY}.json").write_text(json.dumps(advisory, indent=2) + "\n")
    return folder
