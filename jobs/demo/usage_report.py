"""The usage-report sandbox: three tenants, a SQLite control plane, a small Prometheus backfill,
a local SMTP sink; the PDFs land in the demo's folder (`demo-output/usage-report/`).

- Acme Corp (en) is over its monthly quota by the 30th;
- Globex (en) has a data gap: Prometheus scraped nothing from 09:00 to 14:00 on the day;
- Société Lumière (fr) gets its report in French.

The run is the daily one at 01:00 on 1 December 2026 (`--now`), so every run of the demo reads
the same figures and writes the same PDFs. Prometheus is real where it is installed (Debian's
`prometheus`: backfilled with promtool from jobs/demo/gateway_series.py, on a free loopback
port); elsewhere a loopback server replays the answers recorded from the real one
(`usage_report_answers.json`, made by `scripts/record_usage_demo.py`). Mail goes to the sink,
which keeps each message as a `.eml` file under `mail/`: nothing leaves the machine.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from jobs.core.errors import DemoUnavailable
from jobs.core.invoke import RunRequest
from jobs.core.registry import JOBS
from jobs.core.runtime import RunOptions
from jobs.demo import gateway_series as gs
from jobs.demo import mailsink, prometheus_replay
from jobs.demo import prometheus as prom
from jobs.demo.openbao import stop  # a child stopped by its PID

#: the daily run of 1 December 2026 (it reports on 30 November, a Monday)
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 30, tzinfo=UTC)
ANSWERS = Path(__file__).with_name("usage_report_answers.json")
#: the control plane's default schema (usage_report.control_plane.queries reads it)
SCHEMA = (
    "CREATE TABLE tenants (id text PRIMARY KEY, name text, contact_email text, locale text DEFAULT 'en',"
    " monthly_call_quota bigint NULL, active boolean)",
    "CREATE TABLE apis (id text PRIMARY KEY, tenant_id text)",
    "CREATE TABLE applications (id text PRIMARY KEY, tenant_id text)",
    "CREATE TABLE users (id text PRIMARY KEY, tenant_id text)",
)
TENANTS = (  # id, name, contact_email, locale, monthly_call_quota, active
    ("acme", "Acme Corp", "ops@acme.example, finance@acme.example", "en", 100_000, True),
    ("globex", "Globex", "reports@globex.example", "en", 120_000, True),
    ("lumiere", "Société Lumière", "direction@lumiere.example", "fr", 150_000, True),
)
COUNTS = {"apis": {"acme": 3, "globex": 2, "lumiere": 3}, "applications": {"acme": 2, "globex": 1, "lumiere": 2}}
USERS = {"acme": 12, "globex": 4, "lumiere": 7}


def profiles() -> tuple[gs.TenantProfile, ...]:
    def scaled(factor: float) -> tuple[int, ...]:
        return tuple(round(c * factor) for c in gs.DAY_PROFILE)

    return (
        gs.TenantProfile("acme", error_share=0.04),
        gs.TenantProfile(
            "globex", calls_per_hour=scaled(0.5), apis=("quotes", "claims"), applications=("portal",),
            gap=(DAY + timedelta(hours=9), DAY + timedelta(hours=14)),
        ),
        gs.TenantProfile(
            "lumiere", calls_per_hour=scaled(0.7), error_share=0.01, apis=("catalogue", "paiements", "recherche"),
            applications=("site", "appli"), bytes_out_per_call=9000,
        ),
    )  # fmt: skip


def control_plane(path: Path) -> str:
    """The SQLite control plane, made afresh; its DSN."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        for statement in SCHEMA:
            conn.execute(statement)
        conn.executemany("INSERT INTO tenants VALUES (?, ?, ?, ?, ?, ?)", TENANTS)
        for table, counts in {**COUNTS, "users": USERS}.items():
            rows = [(f"{tenant}-{table}-{i}", tenant) for tenant, n in counts.items() for i in range(n)]
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)  # noqa: S608 - our own table names
    conn.close()
    return f"sqlite:///{path}"


def real_prometheus(sandbox: Path) -> str | None:
    """A backfilled Prometheus (stopped at exit), or None where it is not installed. The series
    start a day before November (the month to date, the previous day) and end with the period."""
    found = prom.binaries()
    if found is None:
        return None
    series = sandbox / "gateway.om"
    gs.write_openmetrics(series, profiles(), DAY.replace(day=1) - timedelta(days=1), DAY + timedelta(days=1))
    datadir = sandbox / "prometheus-data"
    prom.backfill(found, series, datadir)
    proc, url = prom.start(found, datadir)
    atexit.register(stop, proc)
    return url


def replayed_prometheus() -> str:
    """A loopback server replaying the answers recorded from the real Prometheus."""
    if not ANSWERS.exists():
        raise DemoUnavailable(
            "skipped: Prometheus is not installed (apt-get install prometheus) and no answers are recorded"
        )
    replayer = prometheus_replay.Replayer(prometheus_replay.load(ANSWERS))
    atexit.register(replayer.stop)
    return replayer.url


def settings(directory: Path, sandbox: Path, prometheus_url: str, smtp: tuple[str, int] | None) -> dict[str, Any]:
    notifications: dict[str, Any] = {
        "file": {"path": str(directory / "outbox.jsonl")},
        "routes": {"critical": ["file"], "warning": ["file"], "info": ["file"]},  # alerts: the outbox only
    }
    if smtp:
        notifications["email"] = {
            "smtp_host": smtp[0], "smtp_port": smtp[1], "starttls": False, "sender": "usage-reports@secops.demo",
        }  # fmt: skip
    return {
        "log_level": "warning",
        "state_db_url": f"sqlite:///{sandbox / 'state.db'}",
        "notifications": notifications,
        "usage_report": {
            "prometheus": {"url": prometheus_url, "scrape_interval_seconds": 3600, "timeout_seconds": 10},
            "control_plane": {"dsn": control_plane(sandbox / "control-plane.db"), "timeout_seconds": 10},
            "delivery": {"email": smtp is not None, "directory": str(directory)},
            "render_workers": 1,
        },
    }


def prepare(directory: Path, prometheus_url: str | None = None) -> RunRequest:
    """The sandbox under `directory` (made afresh: a second demo delivers again) and its run."""
    sandbox = directory / "sandbox"
    shutil.rmtree(directory, ignore_errors=True)
    sandbox.mkdir(parents=True)
    url = prometheus_url or real_prometheus(sandbox) or replayed_prometheus()
    try:
        smtp: tuple[str, int] | None = mailsink.start(directory / "mail")
    except DemoUnavailable:
        smtp = None  # no mail at all, rather than a real one: the PDFs are in the folder
    config = sandbox / "secops.yaml"
    config.write_text(yaml.safe_dump(settings(directory, sandbox, url, smtp), sort_keys=False, allow_unicode=True))
    options = RunOptions(now=NOW, job_args={"period": "daily"})
    return RunRequest(JOBS["usage-report"], options, str(config))


def record(work: Path) -> int:
    """Run the demo once against the real Prometheus behind a `Recorder` and save what it
    answered to ANSWERS (scripts/record_usage_demo.py); the number of answers."""
    from jobs.core.invoke import invoke

    work.mkdir(parents=True, exist_ok=True)
    url = real_prometheus(work)
    if url is None:
        raise DemoUnavailable("recording needs the real Prometheus: apt-get install prometheus")
    recorder = prometheus_replay.Recorder(url)
    try:
        _, result = invoke(prepare(work / "usage-report", recorder.url))
    finally:
        recorder.stop()
    if result.status != "success":
        raise RuntimeError(f"the demo's run was {result.status}: nothing recorded ({result.errors})")
    note = (
        "Prometheus' answers to the usage-report demo (jobs/demo/usage_report.py); remake: scripts/record_usage_demo.py"
    )
    prometheus_replay.save(ANSWERS, recorder.answers, note)
    return len(recorder.answers)
