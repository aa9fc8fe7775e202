"""A deletion a killed run left open is settled by the next run against what AWS still has."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from jobs.core.intents import AuditLog
from jobs.core.model import Action
from jobs.core.state.audit import AuditEntry
from jobs.core.state.engine import StateStore
from tests.ttl_teardown.fleet import REGION, T0
from tests.ttl_teardown.test_job import run


def arn(fleet: dict[str, Any], name: str) -> str:
    account = fleet["ec2"].describe_instances(InstanceIds=[fleet["ids"][name]])["Reservations"][0]["OwnerId"]
    return f"arn:aws:ec2:{REGION}:{account}:instance/{fleet['ids'][name]}"


def test_open_deletions_are_done_when_the_instance_is_gone_and_not_when_it_still_runs(fleet: dict[str, Any]) -> None:
    run(fleet, T0, "--apply")  # makes the state DB
    state = StateStore("sqlite:///secops-state.db")
    killed = AuditLog(state, "ttl-teardown", "run-that-was-killed", "cron", lambda: T0)
    details = {"type": "ec2:instance"}
    gone = killed.started(Action("delete", arn(fleet, "doomed"), "ttl expired", details=details))
    alive = killed.started(Action("delete", arn(fleet, "fresh0"), "ttl expired", details=details))
    mail = killed.started(Action("warn", "owner:dana@example.com", "1 resource expiring", destructive=False))
    fleet["ec2"].terminate_instances(InstanceIds=[fleet["ids"]["doomed"]])  # its call had gone through

    result = run(fleet, T0 + timedelta(hours=1), "--apply")
    assert result["summary"]["reconciled"] == 3
    with state.session() as s:
        rows = {r.action_id: (r.outcome, r.reason) for r in s.scalars(select(AuditEntry))}
    assert rows[gone] == ("done", "interrupted; the resource is gone")
    assert rows[alive] == ("failed", "interrupted: the resource still exists")
    assert rows[mail][0] == "unknown" and "run-that-was-killed" in rows[mail][1]
