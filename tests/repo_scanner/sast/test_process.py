"""The adapter's handling of a semgrep that hangs or fails, with stand-in executables (shell
scripts): a hang is killed with its whole process group by the deadline; output that is not
semgrep's JSON is a failure with its scrubbed stderr, never an empty scan."""

from __future__ import annotations

import time
from pathlib import Path

from jobs.repo_scanner.scanners.sast import scan
from tests.repo_scanner.dependencies.helpers import checkout_of
from tests.repo_scanner.sast.helpers import env


def executable(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_hanging_semgrep_is_killed_with_its_children_at_the_deadline(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    fake = executable(tmp_path / "semgrep", f'sleep 60 &\necho $! > "{pidfile}"\nwait\n')
    started = time.monotonic()
    report = scan(checkout_of(tmp_path), env(semgrep=fake, timeout_seconds=1))
    assert time.monotonic() - started < 10
    assert (report.ran, report.stats["why_not_run"]) == (False, "semgrep timed out")
    assert [e.source for e in report.errors] == ["sast"]
    assert report.errors[0].message.startswith("semgrep did not finish in 1 s")
    assert not alive(int(pidfile.read_text()))


def test_output_that_is_not_semgreps_report_is_a_failure_not_a_clean_scan(tmp_path: Path) -> None:
    fake = executable(tmp_path / "semgrep", 'echo "Traceback: ConnectionError" >&2\necho "not json"\nexit 2\n')
    report = scan(checkout_of(tmp_path), env(semgrep=fake))
    assert (report.ran, report.hits) == (False, [])
    assert [(e.source, e.message) for e in report.errors] == [
        ("sast", "semgrep exited 2 (fatal error) without a JSON report: Traceback: ConnectionError"),
    ]


def test_semgrep_is_told_to_stay_offline(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    fake = executable(
        tmp_path / "semgrep",
        f'echo "$SEMGREP_SEND_METRICS $SEMGREP_ENABLE_VERSION_CHECK $*" > "{seen}"\n'
        'echo \'{"results": [], "errors": [], "paths": {"scanned": []}}\'\n',
    )
    report = scan(checkout_of(tmp_path), env(semgrep=fake, per_file_timeout_seconds=12))
    assert report.ran and report.errors == []
    words = seen.read_text().split()
    assert words[:2] == ["off", "0"]
    assert {"--metrics=off", "--disable-version-check", "--json", "--quiet"} <= set(words)
    assert words[words.index("--timeout") + 1] == "12"
    assert words[words.index("--config") + 1].endswith("jobs/repo_scanner/rules/semgrep")
