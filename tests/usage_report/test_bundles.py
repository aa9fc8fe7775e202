"""Rendering every tenant's bundle in a process pool, and in-process where a pool cannot start.

The pool changes nothing but the time: the same bytes, in the same order. Where a pool cannot
start (AWS Lambda has no /dev/shm, so multiprocessing's semaphores cannot be made) the bundles
are rendered in the process, and the log says why: that is tested for real, in a process whose
/dev/shm is a read-only mount (a private mount namespace), not by patching.
"""

from __future__ import annotations

import json
import logging
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.demo.gateway_series import TenantProfile, utc, write_openmetrics
from jobs.usage_report.bundles import render_all, workers_for
from jobs.usage_report.model import Period, TenantReport
from tests import services
from tests.usage_report import world

ROOT = Path(__file__).resolve().parents[2]
PERIOD = Period("daily", datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[TenantReport]:
    """Four tenants' reports from the generator's exact usage (no Prometheus needed for these)."""
    profiles = [TenantProfile(f"t{i}", error_share=0.01 * (i + 1)) for i in range(3)]
    profiles.append(TenantProfile("t3", no_traffic=True))
    generated = write_openmetrics(
        tmp_path_factory.mktemp("series") / "g.om", profiles, utc(2026, 10, 31), utc(2026, 11, 3), interval=3600
    )
    rows = [world.Row(p.id, f"Tenant {p.id}", f"ops@{p.id}.example", "fr" if p.id == "t1" else "en") for p in profiles]
    return [world.expected_report(generated, row, PERIOD) for row in rows]


class Records(logging.Handler):
    """What the job's logger said, whatever the `secops` logger's handlers (no propagation)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    logger = logging.getLogger("secops.usage_report")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_pool_gives_the_same_bytes_in_the_same_order_as_one_process(
    reports: list[TenantReport], logged: list[logging.LogRecord]
) -> None:
    pooled = render_all(reports, 2)
    alone = render_all(reports, 1)
    modes = [r.__dict__.get("fields", {}).get("mode") for r in logged if r.msg == "reports_rendered"]
    assert modes == ["pool", "in_process"]
    assert [b.report.tenant.id for b in pooled] == ["t0", "t1", "t2", "t3"]  # type: ignore[union-attr]
    assert [(b.pdf, b.csv, b.json) for b in pooled] == [(b.pdf, b.csv, b.json) for b in alone]  # type: ignore[union-attr]
    started = [r for r in logged if r.msg == "render_pool_started"]
    assert started and started[0].__dict__["fields"]["seconds"] < 30  # measured and logged


def test_workers_follow_the_cores_never_more_than_the_reports() -> None:
    import os

    assert workers_for(0, 1000) == (os.cpu_count() or 1)
    assert (workers_for(3, 2), workers_for(1, 50), workers_for(0, 0)) == (2, 1, 1)


def test_where_no_pool_can_start_the_bundles_are_rendered_in_process(
    reports: list[TenantReport], tmp_path: Path
) -> None:
    """/dev/shm read-only, as on AWS Lambda: multiprocessing's queues raise OSError; the same
    bundles come back, rendered in the process, and the log names the reason."""
    if shutil.which("unshare") is None:
        services.unavailable("unshare (util-linux) is not installed")
    (tmp_path / "reports.pickle").write_bytes(pickle.dumps(reports))
    script = (
        "import json, logging, pickle, sys\n"
        "from jobs.core.logs import configure\n"
        "from jobs.usage_report.bundles import render_all\n"
        "configure('info', sys.stderr)\n"
        f"reports = pickle.loads(open({str(tmp_path / 'reports.pickle')!r}, 'rb').read())\n"
        "bundles = render_all(reports, 2)\n"
        "print(json.dumps([b.pdf.hex() for b in bundles]))\n"
    )
    command = f'mount -t tmpfs -o ro tmpfs /dev/shm && exec {sys.executable} -c "$0"'
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", command, script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    if proc.returncode and "unshare" in proc.stderr and "Operation not permitted" in proc.stderr:
        services.unavailable(f"no private mount namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    assert [bytes.fromhex(h) for h in json.loads(proc.stdout)] == [b.pdf for b in render_all(reports, 1)]  # type: ignore[union-attr]
    assert "render_pool_unavailable" in proc.stderr and "Read-only file system" in proc.stderr
    assert '"mode": "in_process"' in proc.stderr or "mode=in_process" in proc.stderr
