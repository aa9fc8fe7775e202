"""The plan is a function of its arguments: what earlier runs left (an interrupted rotation's
journal, the warnings sent) comes in the items, and each action carries its instant and typed
parameters, so a job that never collected plans the same as the one that did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jobs.core.context import JobContext
from jobs.core.resolve import load_settings
from jobs.core.state.engine import StateStore
from jobs.secret_rotation import journal_store
from jobs.secret_rotation.actions import Notice, Reconcile, Resume, Rotate
from jobs.secret_rotation.job import Job
from jobs.secret_rotation.model import ManagedSecret, Tracked
from jobs.secret_rotation.policy import decide
from jobs.secret_rotation.settings import SecretRotationSettings
from tests.helpers import write_config
from tests.secret_rotation.kit import NOW, OWNER, SPEC

MADE = NOW - timedelta(days=400)


def secret(path: str, age_days: float, **custom: str) -> ManagedSecret:
    meta = {"type": "api_key", "owner": OWNER, "current_version": "1", **custom}
    meta["last_rotated"] = (NOW - timedelta(days=age_days)).isoformat()
    return ManagedSecret("secret", path, {k: v for k, v in meta.items() if v}, 1, {1: MADE})  # "": not set


def fresh_job(tmp_path: Path) -> Job:
    """A job that has collected nothing: whatever its plan knows came in the arguments."""
    config = write_config(tmp_path / "secops.yaml", {"state_db_url": f"sqlite:///{tmp_path / 'state.db'}"})
    settings = load_settings(config, {SPEC.id: SPEC})
    return Job(JobContext.outside_a_run(settings, SPEC.section, SPEC.destructive, SecretRotationSettings))


def test_a_job_that_never_collected_plans_from_its_items_alone(tmp_path: Path) -> None:
    state = StateStore(f"sqlite:///{tmp_path / 'journal.db'}")
    state.upgrade(NOW)
    journal_store.journal(
        state, "secret-rotation", "apps/a", "op-1", NOW, [("lock", "after", {"from": 1, "type": "api_key"})]
    )
    journal = tuple(journal_store.open_operations(state, "secret-rotation", "closed")["apps/a"])
    soon, told = secret("apps/soon", 24), secret("apps/told", 25)
    warned = {decide(told, SecretRotationSettings().policies, NOW).warning or "": NOW - timedelta(hours=1)}
    items = [
        Tracked(secret("apps/a", 40), journal),  # due, and an interrupted rotation is open
        Tracked(secret("apps/b", 40)),  # due
        Tracked(secret("apps/c", 5, current_version="")),  # metadata behind the versions
        Tracked(soon),  # due soon: its owner is told
        Tracked(told, warned=warned),  # due soon, owner already told: not again
    ]
    plan = fresh_job(tmp_path).plan(items, NOW)
    resume, rotate, reconcile, notice = plan.actions
    assert isinstance(resume, Resume) and resume.entries == journal and resume.rotate_after
    assert isinstance(rotate, Rotate) and (rotate.path, rotate.secret_type, rotate.version) == ("apps/b", "api_key", 1)
    assert isinstance(reconcile, Reconcile) and reconcile.custom["current_version"] == "1"
    assert isinstance(notice, Notice) and [e["id"] for e in notice.entries] == [soon.resource]
    assert {a.at for a in plan.actions} == {NOW}  # apply stamps what the plan was made for
    assert all(not a.params for a in plan.actions)  # typed fields, never a dict of strings
    assert plan.summary["interrupted"] == 1 and plan.summary["rotating"] == 1
    again = fresh_job(tmp_path).plan(items, NOW)
    assert again.findings == plan.findings and again.actions == plan.actions
