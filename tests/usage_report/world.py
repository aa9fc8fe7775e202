"""The usage-report job's world for its end-to-end tests and bench: a real Prometheus backfilled
with the generator's series (jobs/demo/gateway_series.py), a real PostgreSQL control plane with
the default schema behind a read-only role with a password, and the settings a run reads.

Every expected figure comes from the generator (gateway_expect.expected_usage) and the real
aggregate, so the tests compare with `==`, never with numbers typed by hand.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.demo import gateway_expect
from jobs.demo.gateway_series import Generated, TenantProfile, utc, write_openmetrics
from jobs.usage_report.model import Period, Tenant, TenantReport, TenantUsage
from tests import services
from tests.helpers import run_cli, write_config

SPEC = JOBS["usage-report"]
INTERVAL = 3600  # one sample an hour, and the settings' scrape interval
START, END = utc(2026, 11, 1), utc(2026, 12, 2)
#: a daily run on Monday 30 November 01:00 reports Sunday the 29th; a weekly one at 02:00 W48
DAILY_NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
WEEKLY_NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """A control plane `tenants` row and its counts."""

    id: str
    name: str
    contact_email: str | None
    locale: str = "en"
    monthly_call_quota: int | None = None
    active: bool = True
    apis: int = 3
    applications: int = 2
    users: int = 4


ROWS = (
    Row("acme", "Acme Corp", "ops@acme.example, finance@acme.example", "en", 10_000_000),
    Row("globex", "Globex SARL", "dsi@globex.example", "fr", 5_000_000),
    Row("initech", "Initech", "it@initech.example"),
    Row("umbrella", "Umbrella Ltd", "admin@umbrella.example", "en", 1_000),
    Row("hooli", "Hooli", "nobody@refused.example"),
    Row("dormant", "Dormant Inc", "ops@dormant.example", active=False),
    Row("mute", "Mute Co", None),
    Row("plain", "Plain SA", "ops@plain.example", "fr"),
)

PROFILES = (
    TenantProfile("acme"),
    TenantProfile("globex", error_share=0.08, gap=(utc(2026, 11, 29, 6), utc(2026, 11, 29, 10))),
    TenantProfile("initech", no_traffic=True),
    TenantProfile("umbrella", calls_per_hour=tuple(c // 4 for c in (20, 12, 8, 6, 6, 10, 40, 120) * 3)),
    TenantProfile("hooli"),
    TenantProfile("dormant"),
    TenantProfile("mute", calls_per_hour=(5,) * 24),
    TenantProfile("plain", labelled=False),  # no api/application labels: analytics' to break down
)

SCHEMA = """
CREATE TABLE tenants (id text primary key, name text, contact_email text, locale text default 'en',
                      monthly_call_quota bigint null, active boolean);
CREATE TABLE apis (id text primary key, tenant_id text);
CREATE TABLE applications (id text primary key, tenant_id text);
CREATE TABLE users (id text primary key, tenant_id text);
"""


def generate(directory: Path, profiles: Sequence[TenantProfile] = PROFILES) -> Generated:
    return write_openmetrics(directory / "gateway.om", profiles, START, END, interval=INTERVAL)


def control_plane(pg: services.Postgres, name: str, rows: Sequence[Row] = ROWS) -> str:
    """A database with the default schema and `rows`, and the DSN of a read-only role that
    logs in with a password (the tests check it never shows)."""
    import psycopg

    pg.create_database(name)
    password = "cp-" + os.urandom(8).hex()
    role = f"reporter_{name}"
    with psycopg.connect(pg.url(name), autocommit=True) as conn:
        conn.execute(SCHEMA)
        for row in rows:
            conn.execute(
                "INSERT INTO tenants VALUES (%s, %s, %s, %s, %s, %s)",
                (row.id, row.name, row.contact_email, row.locale, row.monthly_call_quota, row.active),
            )
            for table, count in (("apis", row.apis), ("applications", row.applications), ("users", row.users)):
                for i in range(count):
                    conn.execute(f"INSERT INTO {table} VALUES (%s, %s)", (f"{row.id}-{table}-{i}", row.id))
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    return pg.url(name, user=role, password=password)


def settings(
    tmp: Path, prometheus_url: str, dsn: str, smtp: services.Smtp, s3_bucket: str | None = None, **section: Any
) -> dict[str, Any]:
    delivery = {"email": True, "directory": str(tmp / "reports"), **section.pop("delivery", {})}
    if s3_bucket:
        delivery["s3_bucket"] = s3_bucket
    return {
        "state_db_url": f"sqlite:///{tmp / 'state.db'}",
        "notifications": {
            "routes": {"critical": ["file"], "warning": ["file"], "info": ["file"]},
            "file": {"path": str(tmp / "outbox.jsonl")},
            "email": {
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "starttls": True,
                "username": smtp.username,
                "password": smtp.password,
                "sender": "reports@platform.example",
                "ca_file": smtp.ca_file,
            },
        },
        "usage_report": {
            "prometheus": {"url": prometheus_url, "scrape_interval_seconds": INTERVAL},
            "control_plane": {"dsn": dsn},
            "delivery": delivery,
            **section,
        },
    }


def run(tmp: Path, config: dict[str, Any], *argv: str, runtime: Runtime | None = None) -> dict[str, Any]:
    """One run through the command-line path (`python -m jobs run usage-report ... --json`)."""
    path = write_config(tmp / "config.yaml", config)
    return run_cli(SPEC, ["--config", path, *argv], runtime)


def tenant_of(row: Row) -> Tenant:
    from jobs.usage_report.contacts import parse_contacts

    contacts = parse_contacts(row.contact_email).addresses
    return Tenant(row.id, row.name, contacts, row.locale, row.monthly_call_quota, row.active,
                  row.apis, row.applications, row.users)  # fmt: skip


def methods(period: Period) -> dict[str, str]:
    """The appendix's queries under the tests' settings: query text, not figures, so taken from
    the sources' own tables (every figure is the generator's)."""
    from jobs.usage_report.settings import UsageReportSettings
    from jobs.usage_report.sources import control_plane, prometheus

    cfg = UsageReportSettings.model_validate(
        {"prometheus": {"url": "http://x", "scrape_interval_seconds": INTERVAL}, "control_plane": {"dsn": "x"}}
    )
    assert cfg.control_plane is not None
    return {**control_plane.methods(cfg.control_plane), **prometheus.methods(cfg, period)}


def expected_report(generated: Generated, row: Row, period: Period, top_n: int = 5) -> TenantReport:
    """The report the job must make for `row`: the generator's exact usage, through aggregate."""
    from jobs.usage_report.aggregate import aggregate

    fields = gateway_expect.expected_usage(generated, row.id, period, INTERVAL)
    from jobs.usage_report.contacts import parse_contacts

    problems = parse_contacts(row.contact_email).problems  # the control plane's, stated on the report
    usage = TenantUsage(tenant=tenant_of(row), period=period, methods=methods(period), problems=problems, **fields)
    return aggregate(usage, top_n)


def figures(report: TenantReport) -> dict[str, Any]:
    """A report's figures as the JSON beside its PDF gives them (methods aside: query text)."""
    from jobs.usage_report import figures as render_figures

    return figures_of(render_figures.json_bytes(report))


def figures_of(content: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(content)
    data.pop("methods", None)
    return data


def mails(smtp: services.Smtp) -> list[EmailMessage]:
    parsed = []
    for envelope in smtp.messages:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        parsed.append(message)
    return parsed


def mail_to(smtp: services.Smtp, address: str) -> list[EmailMessage]:
    return [m for m, e in zip(mails(smtp), smtp.messages, strict=True) if address in e.rcpt_tos]


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        content = part.get_content()
        found[str(part.get_filename())] = content if isinstance(content, bytes) else str(content).encode()
    return found


def same(report: TenantReport, **changes: Any) -> TenantReport:
    return dataclasses.replace(report, **changes)


@dataclass
class Stack:
    """What an end-to-end module runs against (conftest.py's `stack`)."""

    generated: Generated
    prometheus: str
    dsn: str
