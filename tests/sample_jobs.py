"""A small destructive job over a directory of JSON "resources", to drive the runner for real.

Each file is one resource: {"id", "severity", "message", "expires_at", "behaviour"}.
`apply` really deletes the file, so a dry run that touched anything would show.
`behaviour` makes an item fail: "permanent", "transient:N" (fails N times), "crash",
"after:<id>" (blocked while <id> still exists, as a security group by its instance),
"slow:S" (takes S seconds), "hang_before"/"hang_after" (with SAMPLE_HANG set: hang before or after deleting, for a kill
to land mid-apply; a `<id>.hanging` file says it is there).
A file named `_hold` makes `collect` wait that many seconds (concurrency tests), one named
`_metrics_crash` makes `record_metrics` raise.
Run as `python -m tests.sample_jobs [options]` or `... schedule` for the scheduler.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, RetryLater, TransientError
from jobs.core.job import BaseJob
from jobs.core.model import Action, Finding, Intent, Inventory, OutcomeKind, Plan, RunError, Settled, Severity
from jobs.core.registry import JobOption, JobSpec, Schedule
from jobs.core.settings import JobSettings


class StoreJob(BaseJob[dict[str, Any], JobSettings]):
    id = "sample-store"

    @property
    def store(self) -> Path:
        return Path(self.ctx.client("store", str, lambda: os.environ["SAMPLE_STORE"]))

    def collect(self) -> Inventory[dict[str, Any]]:
        hold = self.store / "_hold"
        if hold.exists():
            self._hold(float(hold.read_text()))
        inventory: Inventory[dict[str, Any]] = Inventory()
        for path in sorted(self.store.glob("*.json")):
            try:
                item = json.loads(path.read_text())
                item["path"] = str(path)
                if self.ctx.owns(str(item["id"])):
                    inventory.items.append(item)
            except ValueError:
                inventory.errors.append(RunError(f"store:{path.name}", "not valid JSON"))
        return inventory

    def _hold(self, seconds: float) -> None:
        """Hold the run lock in collect: until `_release` appears or `seconds` pass. A `_holding.<pid>`
        marker says the lock is held, so a test starts a rival only then, however slow the machine."""
        (self.store / f"_holding.{os.getpid()}").touch()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (self.store / "_release").exists():
            time.sleep(0.05)

    def plan(self, items: Sequence[dict[str, Any]], now: datetime) -> Plan:
        plan = Plan()
        for item in items:
            resource = f"store:{item['id']}"
            severity = Severity(item.get("severity", "ok"))
            plan.findings.append(Finding("sample", severity, resource, item.get("message", "checked")))
            expires = item.get("expires_at")
            if expires and datetime.fromisoformat(expires) <= now:
                plan.actions.append(Action("delete", resource, f"expired at {expires}", params={"path": item["path"]}))
        plan.summary["expired"] = len(plan.actions)
        return plan

    def apply(self, action: Action) -> None:
        path = Path(action.params["path"])
        behaviour = json.loads(path.read_text()).get("behaviour", "")
        if behaviour.startswith("hang_") and os.environ.get("SAMPLE_HANG"):
            self._hang(path, behaviour == "hang_after")
        if behaviour.startswith("slow:"):
            time.sleep(float(behaviour[5:]))
        if behaviour == "permanent":
            raise PermanentError(f"{action.resource}: refused by the store")
        if behaviour == "crash":
            raise ZeroDivisionError("adapter bug")
        if behaviour.startswith("after:") and (path.parent / f"{behaviour[6:]}.json").exists():
            raise RetryLater(f"{action.resource}: {behaviour[6:]} still depends on it")
        if behaviour.startswith("transient:"):
            counter = path.with_suffix(".attempts")
            attempts = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(attempts + 1))
            if attempts < int(behaviour.split(":")[1]):
                raise TransientError("store throttled", retry_after=0)
        path.unlink()

    def _hang(self, path: Path, after: bool) -> None:
        if after:
            path.unlink()
        path.with_suffix(".hanging").write_text("")
        time.sleep(120)

    def reconcile(self, intents: Sequence[Intent]) -> list[Settled]:
        """A deletion left open is done if the file is gone; else it did not happen."""
        settled = []
        for intent in intents:
            name = intent.resource.removeprefix("store:")
            if (self.store / f"{name}.json").exists():
                settled.append(Settled(intent.action_id, OutcomeKind.FAILED, f"interrupted: {name} still exists"))
            else:
                settled.append(Settled(intent.action_id, OutcomeKind.DONE, f"interrupted, and {name} is gone"))
        return settled

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Any]) -> None:
        """A file named `_metrics_crash` makes the job's own metrics raise (after acting)."""
        if (self.store / "_metrics_crash").exists():
            raise RuntimeError("metrics exporter broke")


class ForgetfulStoreJob(StoreJob):
    """The store job without a reconcile of its own: BaseJob's default applies."""

    reconcile = BaseJob.reconcile


class ParallelStoreJob(StoreJob):
    """The same store with four deletions in flight: items with behaviour "together" wait
    for three others at a barrier, which only a runner applying them at once can pass."""

    parallel_actions = 4

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(ctx)
        self.meeting = threading.Barrier(4, timeout=5)

    def apply(self, action: Action) -> None:
        if json.loads(Path(action.params["path"]).read_text()).get("behaviour") == "together":
            self.meeting.wait()
        super().apply(action)


SPEC = JobSpec(
    id="sample-store",
    description="deletes expired JSON resources",
    schedules=(Schedule("*/5 * * * *"), Schedule("0 4 * * 1", {"verbose_mode": True}, note="weekly")),
    destructive=True,
    options=(JobOption("verbose_mode", "a job-specific flag"),),
    class_path="tests.sample_jobs:StoreJob",
    yielding_options=("verbose_mode",),  # a lesser mode, as ttl-teardown's warn_only
)
SAMPLE_JOBS = {SPEC.id: SPEC}


class BrokenJob(StoreJob):
    """A job whose source is down: every run fails (status failure, exit 1)."""

    id = "sample-broken"

    def collect(self) -> Inventory[dict[str, Any]]:
        raise ConnectionError("store at 127.0.0.1:9 refused the connection")


def _minutely(job_id: str, class_path: str) -> JobSpec:
    return JobSpec(id=job_id, description=f"{job_id}, every minute", schedules=(Schedule("* * * * *"),),
                   class_path=class_path)  # fmt: skip


#: for the scheduler process test: everything fires at the next minute
MINUTELY = {
    spec.id: spec
    for spec in (
        _minutely("sample-store", "tests.sample_jobs:StoreJob"),
        _minutely("sample-broken", "tests.sample_jobs:BrokenJob"),
        _minutely("sample-idle", "tests.sample_jobs:StoreJob"),  # the test's settings disable it
        _minutely("sample-other", "tests.sample_jobs:StoreJob"),  # the test's --jobs leaves it out
    )
}


def write_items(store: Path, *items: dict[str, Any]) -> None:
    store.mkdir(parents=True, exist_ok=True)
    for item in items:
        (store / f"{item['id']}.json").write_text(json.dumps(item))


def main(argv: list[str]) -> int:
    from jobs.core.cli import execute, job_parser, parsed

    if argv[:1] == ["schedule"]:  # schedule [CONFIG] [--jobs IDS] [--minutely]
        from jobs.core.scheduler import parse_jobs_option, serve

        rest = argv[1:]
        table = MINUTELY if "--minutely" in rest else SAMPLE_JOBS
        only = parse_jobs_option(rest[rest.index("--jobs") + 1]) if "--jobs" in rest else None
        config = rest[0] if rest and not rest[0].startswith("--") else None
        return serve(config, table, only)
    from dataclasses import replace

    spec = replace(SPEC, class_path=os.environ.get("SAMPLE_CLASS", SPEC.class_path))
    args = parsed(job_parser(spec, "sample"), argv)
    return args if isinstance(args, int) else execute(spec, args)[0]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
