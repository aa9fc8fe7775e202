"""The gitleaks cross-check: a missing binary is `ran=False` with why; its report becomes
secret-free hits of the listed files; a failure, a timeout or a bad report is an error; nothing
it prints is kept. A fake binary that follows gitleaks' CLI and JSON report (v8) stands in where
the real one is absent; the real one runs when `SECOPS_GITLEAKS` or PATH has it."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path

import pytest

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Checkout
from jobs.repo_scanner.scanners import gitleaks
from jobs.repo_scanner.scanners.secrets.match import mask
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import make_checkout, make_env

FAKE = """#!{python}
import json, sys, time, pathlib
args = dict(a.split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
plan = json.loads(pathlib.Path({plan!r}).read_text())
print("Finding: " + plan.get("echo", ""), file=sys.stderr)  # gitleaks --verbose would print secrets
time.sleep(plan.get("sleep", 0))
report = args["--report-path"]
pathlib.Path(report).write_text(plan["report"] if isinstance(plan["report"], str) else json.dumps(plan["report"]))
sys.exit(plan.get("exit", 0))
"""


def fake_binary(tmp_path: Path, report: object, **behaviour: object) -> str:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"report": report, **behaviour}))
    binary = tmp_path / "bin" / "gitleaks"
    binary.parent.mkdir()
    binary.write_text(FAKE.format(python=sys.executable, plan=str(plan)))
    binary.chmod(0o755)
    return str(binary)


def finding(root: Path, rel: str, rule: str, line: int, secret: str) -> dict[str, object]:
    """One entry of gitleaks' JSON report, as gitleaks 8.30 writes it."""
    return {
        "RuleID": rule,
        "Description": f"found a {rule}",
        "StartLine": line,
        "EndLine": line,
        "StartColumn": 1,
        "EndColumn": len(secret),
        "Match": secret,
        "Secret": secret,
        "File": str(root / rel),
        "SymlinkFile": "",
        "Commit": "",
        "Entropy": 4.5,
        "Author": "",
        "Email": "",
        "Date": "",
        "Message": "",
        "Tags": [],
        "Fingerprint": f"{root / rel}:{rule}:{line}",
    }


def run(checkout: Checkout, binary: str, timeout: float = 60.0) -> gitleaks.ScanReport:
    env = make_env()
    cfg = env.cfg.model_copy(
        update={
            "scanners": env.cfg.scanners.model_copy(
                update={
                    "gitleaks": env.cfg.scanners.gitleaks.model_copy(
                        update={"enabled": True, "binary": binary, "timeout_seconds": timeout}
                    )
                }
            )
        }
    )
    return gitleaks.scan(checkout, type(env)(cfg, env.fingerprints))


def test_a_missing_binary_did_not_run_and_says_why(tmp_path: Path) -> None:
    report = run(make_checkout(tmp_path, {"a.txt": "x"}), str(tmp_path / "no-such-gitleaks"))
    assert not report.ran and report.hits == [] and report.errors == []
    assert report.stats["why_not_run"] == f"gitleaks binary not found: {tmp_path / 'no-such-gitleaks'}"


def test_findings_become_secret_free_hits_of_listed_files(tmp_path: Path, rng: random.Random) -> None:
    token, key_id = samples.github_token(rng), samples.aws_key_id(rng)
    checkout = make_checkout(tmp_path / "repo", {"src/app.py": "x\n", "README.md": "y\n"})
    root = checkout.root
    entries = [
        finding(root, "src/app.py", "github-pat", 3, token),
        finding(root, "README.md", "generic-api-key", 1, key_id),
        finding(root, "node_modules/x/index.js", "aws-access-token", 1, key_id),  # not listed: ignored
        {"RuleID": "broken"},  # no file, no secret
    ]
    report = run(checkout, fake_binary(tmp_path, entries, echo=token))
    assert report.ran and report.errors == []
    assert [(h.scanner, h.rule, h.path, h.line, h.category) for h in report.hits] == [
        ("gitleaks", "github-pat", "src/app.py", 3, "secret:key"),
        ("gitleaks", "generic-api-key", "README.md", 1, "secret:generic"),
    ]
    hit = report.hits[0]
    assert hit.fingerprint == Fingerprinter(b"test key").secret("github-pat", "src/app.py", token)
    assert hit.redacted == mask(token)
    assert token not in repr(report) and key_id not in repr(report)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ({"exit": 2}, "exited with 2 (its output is not kept: it may quote a secret)"),
        ({"sleep": 5}, "timed out after 0.5 s"),
        ({"report": "[{not json"}, "unreadable report: JSONDecodeError"),
    ],
)
def test_a_failing_gitleaks_is_an_error_that_quotes_nothing(
    tmp_path: Path, rng: random.Random, behaviour: dict[str, object], message: str
) -> None:
    token = samples.github_token(rng)
    checkout = make_checkout(tmp_path / "repo", {"a.py": "x"})
    options = {"report": [], "echo": token, **behaviour}
    report = run(checkout, fake_binary(tmp_path, options.pop("report"), **options), timeout=0.5)
    assert not report.ran
    assert [(e.source, e.message) for e in report.errors] == [("gitleaks:app", message)]
    assert token not in repr(report)


#: read once at import: the suite's fixtures clear SECOPS_* variables around every test
REAL_GITLEAKS = os.environ.get("SECOPS_GITLEAKS") or shutil.which("gitleaks")


@pytest.mark.skipif(REAL_GITLEAKS is None, reason="no gitleaks binary (SECOPS_GITLEAKS or PATH)")
def test_the_real_gitleaks_finds_a_planted_token(tmp_path: Path, rng: random.Random) -> None:
    token = samples.github_token(rng)
    token = samples.join("gh", "p_") + token[4:]  # gitleaks' github-pat rule is ghp_ only
    checkout = make_checkout(tmp_path / "repo", {"src/settings.py": f"\n\nTOKEN = '{token}'\n"})
    assert REAL_GITLEAKS is not None
    report = run(checkout, REAL_GITLEAKS)
    assert report.ran, report.errors
    assert [(h.rule, h.path, h.line, h.scanner) for h in report.hits] == [
        ("github-pat", "src/settings.py", 3, "gitleaks")
    ]
    assert report.hits[0].fingerprint == Fingerprinter(b"test key").secret("github-pat", "src/settings.py", token)
