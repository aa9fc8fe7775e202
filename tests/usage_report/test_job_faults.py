"""usage-report when things break: a run killed between a mail leaving and its record, and the
secrets a run holds (the control plane's password, the SMTP password) never in what it prints.

Both run the job as its own process (`python -m jobs run usage-report`), as a CronJob does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests import services
from tests.helpers import write_config
from tests.usage_report import world
from tests.usage_report.test_job import config
from tests.usage_report.world import DAILY_NOW, Stack

ROOT = Path(__file__).resolve().parents[2]


def job_process(tmp_path: Path, cfg: dict[str, Any], *argv: str) -> subprocess.Popen[str]:
    path = write_config(tmp_path / "config.yaml", cfg)
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "run", "usage-report", "--config", path, "--period", "daily",
         "--now", DAILY_NOW.isoformat(), "--json", *argv],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def audit_rows(tmp_path: Path) -> list[tuple[str, str, str]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT resource, kind, outcome FROM secops_audit ORDER BY id"))
        return [(str(r), str(k), str(o)) for r, k, o in rows]


def deliveries(tmp_path: Path) -> set[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as conn:
        return {(str(t), str(c)) for t, c in conn.execute(text("SELECT tenant, channel FROM secops_usage_deliveries"))}


def test_a_run_killed_after_the_server_took_a_mail_and_before_its_record_leaves_a_consistent_state(
    tmp_path: Path, stack: Stack, smtp: services.Smtp
) -> None:
    """The kill lands at the adapter boundary: the server has the whole mail (DATA) and the job
    has not heard 250, so nothing is recorded. The next run settles the open intent as
    unknown, sends that tenant's report again (at least once, never zero) and the others once."""
    cfg = config(tmp_path, stack, smtp, delivery={"directory": None})
    proc = job_process(tmp_path, cfg, "--tenant", "acme", "--tenant", "globex")

    def kill_at_first_mail(envelope: Any) -> None:
        if len(smtp.messages) == 1:
            os.kill(proc.pid, signal.SIGKILL)

    smtp.on_data = kill_at_first_mail
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    smtp.on_data = None
    first = world.mails(smtp)[0]
    assert deliveries(tmp_path) == set()  # the mail left; its record never came
    assert [(r, o) for r, k, o in audit_rows(tmp_path) if k == "email_report"] == [("tenant:acme", "started")]
    again = world.run(tmp_path, cfg, "--period", "daily", "--now", DAILY_NOW.isoformat(),
                      "--tenant", "acme", "--tenant", "globex")  # fmt: skip
    assert (again["exit_code"], again["status"], again["summary"]["reconciled"]) == (0, "success", 1)
    assert [(a["resource"], a["outcome"]) for a in again["actions"]] == [
        ("tenant:acme", "done"),
        ("tenant:globex", "done"),
    ]
    assert deliveries(tmp_path) == {("acme", "email"), ("globex", "email")}
    outcomes = [(r, o) for r, k, o in audit_rows(tmp_path) if k == "email_report"]
    assert outcomes == [("tenant:acme", "unknown"), ("tenant:acme", "done"), ("tenant:globex", "done")]
    assert world.attachments(world.mails(smtp)[1]) == world.attachments(first)  # the same report, again
    third = world.run(tmp_path, cfg, "--period", "daily", "--now", DAILY_NOW.isoformat())
    assert "tenant:acme" not in {a["resource"] for a in third["actions"]}


def test_no_password_reaches_the_result_or_the_logs(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    dsn_password = stack.dsn.split(":")[2].split("@")[0]
    cfg = {**config(tmp_path, stack, smtp, delivery={"directory": None}), "log_level": "debug"}
    smtp.refuse_rcpt = {"nobody@refused.example"}  # a failed delivery's error is printed too
    out, err = job_process(tmp_path, cfg).communicate(timeout=300)
    result = json.loads(out)
    assert result["status"] == "partial"
    down = config(tmp_path, stack, smtp)
    down["usage_report"]["control_plane"]["dsn"] = stack.dsn.replace(stack.dsn.split("@")[1].split("/")[0],
                                                                      f"127.0.0.1:{services.free_port()}")  # fmt: skip
    out2, err2 = job_process(tmp_path, down).communicate(timeout=300)
    unreachable = json.loads(out2)
    assert unreachable["actions"] == [] and [e["source"] for e in unreachable["errors"]] == ["control_plane"]
    for secret in (dsn_password, smtp.password):
        for printed in (out, err, out2, err2, (tmp_path / "outbox.jsonl").read_text()):
            assert secret not in printed
