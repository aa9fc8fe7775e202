"""Real semgrep, offline, with our rules on small Python, JavaScript and Go samples: the
exact rules and lines, nothing from the clean samples, a syntax error named by file, and
fingerprints that survive unrelated line shifts. One semgrep run per checkout (module scope)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.core.errors import ConfigError
from jobs.repo_scanner.model import ScanReport
from jobs.repo_scanner.scanners.sast import NOT_INSTALLED, RULES, find_semgrep, rule_ids, scan
from tests.repo_scanner.dependencies.helpers import checkout_of
from tests.repo_scanner.sast.helpers import env

SAMPLES = Path(__file__).parent / "samples"
OFFLINE = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}

EXPECTED = [
    ("app.py", 14, "python-sql-injection", "sast:ERROR"),
    ("app.py", 15, "python-sql-injection", "sast:ERROR"),
    ("app.py", 17, "python-sql-injection", "sast:ERROR"),
    ("app.py", 23, "python-command-injection", "sast:ERROR"),
    ("app.py", 24, "python-command-injection", "sast:ERROR"),
    ("app.py", 30, "python-insecure-tls", "sast:ERROR"),
    ("app.py", 31, "python-insecure-tls", "sast:ERROR"),
    ("app.py", 32, "python-hardcoded-credential", "sast:WARNING"),
    ("app.py", 37, "python-yaml-load", "sast:ERROR"),
    ("app.py", 40, "python-pickle-load", "sast:ERROR"),
    ("app.py", 41, "python-eval", "sast:ERROR"),
    ("app.py", 47, "python-weak-hash", "sast:WARNING"),
    ("main.go", 17, "go-sql-injection", "sast:ERROR"),
    ("main.go", 21, "go-sql-injection", "sast:ERROR"),
    ("main.go", 26, "go-command-injection", "sast:ERROR"),
    ("main.go", 30, "go-hardcoded-credential", "sast:WARNING"),
    ("main.go", 31, "go-insecure-tls", "sast:ERROR"),
    ("main.go", 35, "go-weak-hash", "sast:WARNING"),
    ("server.js", 6, "js-hardcoded-credential", "sast:WARNING"),
    ("server.js", 9, "js-sql-injection", "sast:ERROR"),
    ("server.js", 10, "js-sql-injection", "sast:ERROR"),
    ("server.js", 15, "js-command-injection", "sast:ERROR"),
    ("server.js", 19, "js-insecure-tls", "sast:ERROR"),
    ("server.js", 22, "js-eval", "sast:ERROR"),
    ("server.js", 23, "js-eval", "sast:ERROR"),
    ("server.js", 28, "js-weak-hash", "sast:WARNING"),
]


def scanned(root: Path) -> tuple[ScanReport, float]:
    with pytest.MonkeyPatch.context() as mp:  # no network: a proxy that refuses every connection
        for name, value in OFFLINE.items():
            mp.setenv(name, value)
        started = time.monotonic()
        report = scan(checkout_of(root), env())
        return report, time.monotonic() - started


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScanReport, float]]:
    root = tmp_path_factory.mktemp("sast") / "repo"
    shutil.copytree(SAMPLES, root)
    yield scanned(root)


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """The same samples with lines added above and between the findings."""
    root = tmp_path_factory.mktemp("sast-shifted") / "repo"
    shutil.copytree(SAMPLES, root)
    app = root / "app.py"
    app.write_text(
        '"""A module docstring added later."""\n\n\n'
        + app.read_text().replace("\n\n\ndef run", "\n\n\n# a comment\ndef run")
    )
    server = root / "server.js"
    server.write_text('"use strict";\n' + server.read_text())
    return scanned(root)[0]


def test_semgrep_finds_exactly_the_planted_issues_and_nothing_in_the_clean_files(
    samples: tuple[ScanReport, float],
) -> None:
    report, _ = samples
    assert report.ran
    assert sorted((h.path, h.line, h.rule, h.category) for h in report.hits) == EXPECTED
    assert {h.type for h in report.hits} == {"sast"}
    assert report.stats["files"] == 7
    assert report.stats["rules"] == len(rule_ids([RULES])) == 20


def test_a_hit_carries_the_rules_message_and_cwe_but_no_code(samples: tuple[ScanReport, float]) -> None:
    report, _ = samples
    credential = next(h for h in report.hits if h.rule == "python-hardcoded-credential")
    assert (
        credential.message
        == "a credential is passed as a literal (password=...); read it from the environment or a secret store"
    )
    assert credential.extra["cwe"] == ["CWE-798: Use of Hard-coded Credentials"]
    assert "Winter2024!" not in repr(credential)
    go_secret = next(h for h in report.hits if h.rule == "go-hardcoded-credential")
    assert "r3dis-Passw0rd" not in repr(go_secret)


def test_a_file_semgrep_cannot_parse_is_an_error_naming_it(samples: tuple[ScanReport, float]) -> None:
    report, _ = samples
    assert [e.source for e in report.errors] == ["sast:broken.js"]
    assert report.errors[0].message.startswith("semgrep ")
    assert "return" not in report.errors[0].message  # semgrep's message quotes code: not repeated


def test_offline_semgrep_finishes_promptly(samples: tuple[ScanReport, float]) -> None:
    _, seconds = samples
    assert seconds < 60  # a version check or metrics call would wait on the dead proxy


def test_fingerprints_survive_lines_moving_and_differ_per_finding(
    samples: tuple[ScanReport, float], shifted: ScanReport
) -> None:
    before = {(h.path, h.rule, h.fingerprint) for h in samples[0].hits}
    after = {(h.path, h.rule, h.fingerprint) for h in shifted.hits}
    assert before == after
    assert len({h.fingerprint for h in samples[0].hits}) == len(EXPECTED)
    assert sorted(h.line for h in shifted.hits if h.path == "app.py")[:3] == [17, 18, 20]


def test_without_semgrep_the_scanner_says_it_did_not_run_and_it_is_an_error(tmp_path: Path) -> None:
    """Enabled but unable to look is a failure (the run is partial, exit 1), never a pass."""
    report = scan(checkout_of(tmp_path), env(semgrep="no-such-semgrep-here"))
    assert (report.ran, report.hits, report.stats["why_not_run"]) == (False, [], NOT_INSTALLED)
    assert [e.source for e in report.errors] == ["sast"] and "no-such-semgrep-here" in report.errors[0].message


def test_a_rules_path_that_names_nothing_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"scanners.sast.rules: .*nope: no such rule file or folder"):
        scan(checkout_of(tmp_path), env(rules=[str(tmp_path / "nope")]))


def test_semgrep_is_found_beside_the_interpreter_when_not_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    found = find_semgrep("semgrep")
    assert found is not None and Path(found).parent == Path(os.sys.executable).parent


def test_a_rule_semgrep_cannot_parse_means_the_scanner_did_not_run(tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(
        'rules:\n  - id: bad\n    languages: [python]\n    severity: ERROR\n    message: m\n    pattern: "foo(("\n'
    )
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("foo(1)\n")
    report = scan(checkout_of(tmp_path / "repo"), env(rules=[str(rules)]))
    assert (report.ran, report.stats["why_not_run"]) == (False, "semgrep failed (exit 2: fatal error)")
    assert [(e.source, e.message) for e in report.errors] == [
        ("sast", "semgrep error: Rule parse error (rule bad): Invalid pattern for Python: Stdlib.Parsing.Parse_error"),
        ("sast", "semgrep exited 2: fatal error"),
    ]


def test_rules_that_are_not_local_files_are_refused(tmp_path: Path) -> None:
    """A registry name (`p/python`) needs the network: a configuration error (exit 2)."""
    with pytest.raises(ConfigError, match=r"p/python: no such rule file or folder"):
        scan(checkout_of(tmp_path), env(rules=["p/python"]))
