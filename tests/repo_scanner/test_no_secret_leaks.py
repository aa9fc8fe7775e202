"""The contract's guard: a secret the scanner finds never leaves its engine. Known values are
planted in a real repository (the working tree, and history: added then removed), the job runs
as an operator runs it (the real CLI, a process of its own, debug logs) with every output on:
--json, --sarif, --sbom, --write-baseline, a SQLite state DB, the file outbox and real SMTP mail.
Then every byte it wrote is searched for each planted value and for every 8-character piece of
it (a mask that shows too much, a prefix in a log line): none may appear anywhere."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.demo.planting import aws_key_pair, github_token, new_repo, password, postgres_url, private_key_pem
from tests import services
from tests.helpers import ROOT, write_config
from tests.test_notifications import email_settings

PIECE = 8


@dataclass
class Scan:
    planted: dict[str, str]  # what → the secret value
    outputs: dict[str, bytes]  # where → every byte written there
    result: dict[str, object]
    code: int


def pem_body(pem: str) -> str:
    """The key material of a PEM block (its armour lines are no secret)."""
    return "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))


def plant(root: Path) -> dict[str, str]:
    repo = new_repo(root)
    key_id, secret_key = aws_key_pair()
    url, db_password = postgres_url()
    token, key = github_token(), private_key_pem()
    removed_key_id, removed_secret = aws_key_pair()
    repo.commit({"README.md": "# billing\n"}, "start", when="2026-09-01T09:00:00+00:00")
    repo.commit(
        {
            "scripts/old.sh": f"export AWS_ACCESS_KEY_ID={removed_key_id}\nexport AWS_SECRET_ACCESS_KEY={removed_secret}\n"
        },
        "a script",
        when="2026-09-02T09:00:00+00:00",
    )
    repo.commit({"scripts/old.sh": None}, "remove it", when="2026-09-03T09:00:00+00:00")
    repo.commit(
        {
            ".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret_key}\n",
            "config/ci.yaml": f"github:\n  token: {token}\n",
            "deploy/id_ec": key,
            "app/db.py": f'DSN = "{url}"\n',
        },
        "settings",
        when="2026-09-04T09:00:00+00:00",
    )
    return {
        "aws key id": key_id,
        "aws secret key": secret_key,
        "github token": token,
        "private key": pem_body(key),
        "database password": db_password,
        "history key id": removed_key_id,
        "history secret key": removed_secret,
    }


def mail_texts(smtp: services.Smtp) -> bytes:
    """Every message as sent and every part decoded (a base64 or quoted-printable body hides a
    value from a search of the raw bytes)."""
    found = []
    for envelope in smtp.messages:
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        found.append(raw)
        for part in email.message_from_bytes(raw, policy=email.policy.default).walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(payload)
    return b"\n".join(found)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    work = tmp_path_factory.mktemp("leaks")
    planted = plant(work / "billing")
    out = {name: work / name for name in ("result.sarif", "sbom.json", "baseline.json", "outbox.jsonl")}
    with services.smtp_server(work) as smtp:
        recipients = {"critical": ["sec@example.test"], "warning": ["sec@example.test"]}
        email_cfg = email_settings(smtp, recipients=recipients).model_dump(mode="json", exclude_none=True)
        email_cfg["password"] = smtp.password  # dumped masked
        settings = {
            "log_level": "debug",
            "state_db_url": f"sqlite:///{work / 'state.db'}",
            "notifications": {
                "routes": {"critical": ["email", "file"], "warning": ["email", "file"], "info": ["file"]},
                "email": email_cfg,
                "file": {"path": str(out["outbox.jsonl"])},
            },
            "repo_scanner": {
                "targets": [{"path": str(work / "billing"), "name": "billing"}],
                "history": True,
                "fingerprint_key": "k" * 40,
                "scanners": {"sast": {"enabled": False}},
            },
        }
        config = write_config(work / "secops.yaml", settings)
        argv = ["--config", config, "--json", "--sarif", str(out["result.sarif"]), "--sbom", str(out["sbom.json"])]
        argv += ["--write-baseline", str(out["baseline.json"])]
        done = subprocess.run(
            [sys.executable, "-m", "jobs.repo_scanner", *argv],
            cwd=work,
            capture_output=True,
            timeout=300,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(work)},
            check=False,
        )
        outputs = {"stdout": done.stdout, "stderr": done.stderr, "mail": mail_texts(smtp)}
    for name, path in out.items():
        outputs[name] = path.read_bytes() if path.exists() else b""
    outputs["state.db"] = b"".join(p.read_bytes() for p in work.glob("state.db*"))
    result = json.loads(done.stdout) if done.stdout.strip() else {}
    yield Scan(planted, outputs, result, done.returncode)


def leaks(value: str, text: bytes) -> list[str]:
    """The planted value, or any 8-character piece of it, found in `text`."""
    pieces = {value[i : i + PIECE] for i in range(max(1, len(value) - PIECE + 1))}
    return sorted(piece for piece in pieces if piece.encode() in text)


def test_the_run_found_every_planted_secret_and_wrote_every_output(scan: Scan) -> None:
    """The guard below means nothing unless the secrets were found and every output written."""
    assert scan.code == 0, scan.outputs["stderr"][-3000:]
    secrets = [f for f in scan.result["findings"] if f["type"] == "secret"]  # type: ignore[index, union-attr]
    paths = {f["details"]["path"] for f in secrets}
    assert {".env", "config/ci.yaml", "deploy/id_ec", "app/db.py", "scripts/old.sh"} <= paths
    assert any(f["details"].get("commit") for f in secrets)  # the removed one, from history
    for name in ("result.sarif", "sbom.json", "baseline.json", "outbox.jsonl", "mail", "state.db", "stderr"):
        assert scan.outputs[name], f"{name} is empty: the search would prove nothing there"
    assert b'"level": "info"' in scan.outputs["stderr"]  # the JSON log lines (debug on: nothing is filtered)


@pytest.mark.parametrize(
    "output", ["stdout", "stderr", "result.sarif", "sbom.json", "baseline.json", "outbox.jsonl", "mail", "state.db"]
)
def test_no_planted_secret_or_piece_of_one_is_in_any_output(scan: Scan, output: str) -> None:
    found = {what: leaks(value, scan.outputs[output]) for what, value in scan.planted.items()}
    assert {what: pieces for what, pieces in found.items() if pieces} == {}


def test_the_search_finds_a_piece_where_one_is() -> None:
    """The search itself: a mask that kept 8 characters, or a value split over a log line."""
    value = password(32)
    assert leaks(value, f"redacted={value[:8]}…".encode()) == [value[:8]]
    assert leaks(value, f"tail {value[-9:]}".encode()) == sorted({value[-9:-1], value[-8:]})
    assert leaks(value, value[:7].encode()) == []
