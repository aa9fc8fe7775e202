"""What ttl-teardown prints without --json, on moto: every line about an action says what
happened to it (would delete, deleted, deletion failed, not deleted: guardrail), never
what the plan hoped for."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from jobs.core.cli import execute, job_parser
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.ttl_teardown.messages import deadline
from tests.helpers import outbox, write_config
from tests.ttl_teardown.fleet import T0, protected_database, ttl_config

SPEC = JOBS["ttl-teardown"]
DELETED = re.compile(r"(?<!not )\bdeleted\b")  # "deleted" as a claim; "not deleted" is honest


def text_run(
    fleet: dict[str, Any], when: datetime, *argv: str, top: dict[str, Any] | None = None, **section: Any
) -> tuple[int, str]:
    """One run through the command line's text path: its exit code and what it printed."""
    config = ttl_config(fleet["dir"], whitelist={"tags": [{"key": "critical", "value": "true"}]}, **section)
    if top:
        write_config(Path(config), {**yaml.safe_load(Path(config).read_text()), **top})
    args = job_parser(SPEC, SPEC.module).parse_args(["--config", config, "--now", when.isoformat(), *argv])
    out = io.StringIO()
    code, _ = execute(SPEC, args, Runtime(sleep=lambda _: None), out)
    return code, out.getvalue()


def lines_about(text: str, resource: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if resource in line and not line.strip().startswith("kept")]


def test_a_dry_run_says_would_delete_and_would_warn_and_claims_nothing(fleet: dict[str, Any]) -> None:
    doomed = fleet["ids"]["doomed"]
    code, first = text_run(fleet, T0 + timedelta(days=3))  # expired, never warned: a warning is planned
    assert code == 0 and "(dry run: nothing done" in first.splitlines()[0]
    assert "would warn owner  owner:dana@example.com" in first and "owner warned" not in first
    assert not DELETED.search(first), first
    text_run(fleet, T0 + timedelta(days=3), "--apply")  # the owner is really warned
    code, second = text_run(fleet, T0 + timedelta(days=5))
    assert code == 0 and not DELETED.search(second), second
    [line] = [line for line in lines_about(second, doomed) if "would" in line]
    assert line.startswith("would delete  arn:aws:ec2:") and "actions: would delete 1" in second
    [finding] = [line for line in lines_about(second, doomed) if line.startswith("info") and "ttl expired" in line]
    assert finding.endswith("; due for deletion"), finding


def test_a_guardrail_stop_says_nothing_was_done_and_names_the_guardrail(fleet: dict[str, Any]) -> None:
    text_run(fleet, T0 + timedelta(days=3), "--apply")
    code, text = text_run(fleet, T0 + timedelta(days=5), "--apply", max_actions=0)
    header = text.splitlines()[0]
    assert code == 3 and "applied" not in header and "stopped by a guardrail: nothing done" in header
    [line] = [line for line in lines_about(text, fleet["ids"]["doomed"]) if not line.startswith("info")]
    assert line.startswith("not deleted: guardrail"), line
    assert not DELETED.search(text), text


def test_a_failed_delete_is_listed_as_failed_with_its_error_and_the_others_as_deleted(fleet: dict[str, Any]) -> None:
    protected_database(T0 - timedelta(days=1))
    section = {"aws": {"types": ["ec2:instance", "rds:instance"]}, "max_actions_percent": 50}
    text_run(fleet, T0 + timedelta(days=3), "--apply", **section)
    code, text = text_run(fleet, T0 + timedelta(days=5), "--apply", **section)
    assert code == 1 and text.splitlines()[0].startswith("ttl-teardown partial (applied")
    [failed] = [line for line in lines_about(text, ":db:guarded") if not line.startswith("info")]
    assert failed.startswith("deletion failed: ") and "deletion protection" in failed.lower(), failed
    [done] = [line for line in lines_about(text, fleet["ids"]["doomed"]) if not line.startswith("info")]
    assert done.startswith("deleted  arn:aws:ec2:")
    assert "actions: deleted 1, deletion failed 1" in text


def test_owner_warned_is_said_only_once_the_warning_was_delivered(fleet: dict[str, Any]) -> None:
    blocker = fleet["dir"] / "not-a-directory"
    blocker.write_text("")  # the outbox cannot be created under a file: delivery fails
    broken = {"notifications": {"file": {"path": str(blocker / "outbox.jsonl")}}}
    code, text = text_run(fleet, T0 + timedelta(days=3), "--apply", top=broken)
    [line] = [line for line in text.splitlines() if "owner:dana@example.com" in line and "tag" not in line]
    assert code == 1 and "owner warned" not in text, text
    assert line.strip().startswith("owner warning failed: outbox"), line


def test_an_owner_mail_for_a_deadline_already_past_says_when_deletion_can_come(fleet: dict[str, Any]) -> None:
    code, _ = text_run(fleet, T0 + timedelta(days=3), "--apply")  # the ttl ended on T0 + 1 day, unwarned
    [mail] = [m for m in outbox(fleet["dir"]) if m["recipients"] and "will be deleted" in m["title"]]
    [line] = [line for line in mail["body"].splitlines() if fleet["ids"]["doomed"] in line and line.startswith("-")]
    assert code == 0 and "deleted from then on" not in line, line
    assert "ttl already ended on 2026-11-24T02:00:00Z" in line
    assert "due for deletion on the first run after 2026-11-27T02:00:00Z" in line  # now + notice_hours


def test_an_owner_mail_for_a_future_deadline_names_it() -> None:
    assert deadline("2026-11-24T02:00:00Z", T0, 24) == "ttl ends 2026-11-24T02:00:00Z, deleted from then on"
    assert deadline("2026-11-23T02:00:00Z", T0, 24).startswith("ttl already ended on 2026-11-23T02:00:00Z")
