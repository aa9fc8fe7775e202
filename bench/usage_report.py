"""usage-report end to end: 1,000 tenants, 30 days of hourly gateway series in a real Prometheus
(backfilled with promtool from jobs/demo/gateway_series.py), a weekly run through
`python -m jobs run usage-report` (queries + aggregation + PDF + CSV/JSON + one mail each to a
local SMTP sink), beside slice 4's plain-reportlab floor (bench/usage_report_floor.py: the same
3-page layout from precomputed numbers), in the same run.

Prints: reports/s end to end (target >= 40 on 2 cores), Prometheus queries made (the same at 50
tenants as at 1,000: queries scale with metrics, not tenants), peak RSS of the job's process
tree, main process and render workers together, sampled from /proc (target <= 400 MB), and the
ratio to the floor's reports/s. `--tenants N` for a quicker run; `--quick`: 40 tenants.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from measure import Sample, options, ratio  # noqa: E402

from jobs.demo.gateway_series import tenants, utc, write_openmetrics  # noqa: E402
from jobs.demo.openbao import stop  # noqa: E402

NOW = utc(2026, 11, 30, 2)  # a weekly run: W48, the 23rd to the 30th, and W47 before it
START, END = NOW - timedelta(days=30), NOW - timedelta(hours=2)


def more(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenants", type=int, default=None, help="tenants (default 1,000; quick 40)")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def prometheus(work: Path, count: int) -> Iterator[tuple[str, float, int]]:
    """(url, backfill seconds, samples) of a Prometheus over `count` tenants' 30 days."""
    from jobs.demo import prometheus as server

    found = server.binaries()
    if found is None:
        raise SystemExit("prometheus and promtool are not installed (apt-get install prometheus)")
    generated = write_openmetrics(work / "gateway.om", tenants(count), START, END, interval=3600)
    backfill = server.backfill(found, generated.path, work / "tsdb")
    generated.path.unlink()
    proc, url = server.start(found, work / "tsdb")
    try:
        yield url, backfill, generated.lines
    finally:
        stop(proc)


def control_plane(path: Path, count: int) -> str:
    """A SQLite control plane with the default schema (the job opens it read-only)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE tenants (id text primary key, name text, contact_email text, locale text default 'en',"
            " monthly_call_quota bigint null, active boolean);"
            "CREATE TABLE apis (id text, tenant_id text); CREATE TABLE applications (id text, tenant_id text);"
            "CREATE TABLE users (id text, tenant_id text);"
        )
        rows = [
            (p.id, f"Tenant {i:04d}", f"ops@{p.id}.example", "fr" if i % 3 == 0 else "en", 2_000_000, 1)
            for i, p in enumerate(tenants(count))
        ]
        db.executemany("INSERT INTO tenants VALUES (?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO apis VALUES (?, ?)", [(f"{r[0]}-api", r[0]) for r in rows])
        db.commit()
    return f"sqlite:///{path}"


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[int, list[int]]]:
    """A plain local SMTP server that counts what it takes (bytes of each mail)."""
    from aiosmtpd.controller import Controller

    sizes: list[int] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sizes.append(len(envelope.original_content or b""))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sizes
    finally:
        controller.stop()


def tree_rss(pid: int) -> int:
    """Resident kB of `pid` and every descendant, now."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def run_job(work: Path, config: Path) -> tuple[dict[str, Any], float, float]:
    """One weekly run as its own process: (result, wall seconds, peak tree RSS MB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "jobs", "run", "usage-report", "--config", str(config), "--period", "weekly",
            "--now", NOW.isoformat(), "--json", "--force"]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    sampling = True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.monotonic() - started
    sampling = False
    sampler.join()
    return json.loads(out), wall, peak / 1024


def floor(count: int) -> Sample:
    """Slice 4's plain-reportlab floor (bench/usage_report_floor.py): the same 3-page layout from
    precomputed numbers, one process, over `count` weekly reports of the tests' shape."""
    from usage_report_floor import numbers, render_floor

    from tests.usage_report.reports import report

    prepared = [numbers(report(f"t{i:04d}", f"Tenant {i:04d}", ("en", "fr")[i % 2])) for i in range(count)]
    render_floor(prepared[0])  # fonts registered: warm
    started = time.perf_counter()
    for one in prepared:
        render_floor(one)
    return Sample(
        "plain reportlab floor (render only, 1 process)", "reports/s", [count / (time.perf_counter() - started)]
    )


def main() -> None:
    args = options(__doc__, rounds=1, more=more)
    count = args.tenants or (40 if args.quick else 1000)
    work = Path(tempfile.mkdtemp(prefix="bench-usage-"))
    try:
        with prometheus(work, count) as (url, backfill, samples), smtp_sink() as (port, sizes):
            print(f"usage-report: {count} tenants, {samples:,} samples backfilled in {backfill:.1f} s")
            settings = {
                "state_db_url": f"sqlite:///{work / 'state.db'}",
                "notifications": {
                    "routes": {"critical": [], "warning": [], "info": []},
                    "email": {
                        "smtp_host": "127.0.0.1",
                        "smtp_port": port,
                        "starttls": False,
                        "sender": "reports@bench.example",
                    },
                },
                "usage_report": {
                    "prometheus": {"url": url, "scrape_interval_seconds": 3600, "timeout_seconds": 120},
                    "control_plane": {"dsn": control_plane(work / "cp.db", count)},
                },
            }
            config = work / "config.yaml"
            config.write_text(yaml.safe_dump(settings))
            ours = Sample("usage-report end to end (weekly)", "reports/s")
            for _ in range(args.rounds):
                result, wall, rss = run_job(work, config)
                delivered = sum(a["outcome"] == "done" for a in result["actions"])
                ours.values.append(delivered / wall)
                queries = result["summary"]["queries"].get("prometheus")
                print(f"  status {result['status']}: {delivered} mailed ({len(sizes)} at the sink) in {wall:.1f} s, "
                      f"Prometheus queries {queries}, peak RSS {rss:.0f} MB")  # fmt: skip
            print(f"  {ours.line()}")
            anchor = floor(min(count, 200))
            print(f"  {anchor.line()}")
            print(ratio(ours, anchor, "end to end / plain reportlab floor"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
