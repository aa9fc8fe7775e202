"""The runner's promises: exit codes, one dry-run branch, guardrails, isolation, history."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from jobs.core.runtime import Runtime, Shard
from jobs.core.state.engine import StateStore
from jobs.core.state.runs import FindingRow, Run
from tests.helpers import outbox, run_sample, write_config
from tests.sample_jobs import SPEC, write_items

PAST = "2026-01-01T00:00:00+00:00"
FUTURE = "2027-01-01T00:00:00+00:00"


def fleet(store: Path, expired: int, fresh: int, **extra: dict[str, object]) -> None:
    items = [{"id": f"old{i}", "expires_at": PAST} for i in range(expired)]
    items += [{"id": f"new{i}", "expires_at": FUTURE} for i in range(fresh)]
    write_items(store, *items)


def test_dry_run_plans_the_same_actions_and_touches_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=2, fresh=18)
    before = sorted(p.name for p in store.iterdir())
    ran = run_sample(store)
    assert ran.code == 0
    assert ran.result and ran.result["dry_run"] is True
    assert [a["outcome"] for a in ran.result["actions"]] == ["planned", "planned"]
    assert sorted(p.name for p in store.iterdir()) == before
    assert outbox(tmp_path) == []  # no notification either


def test_apply_acts_on_exactly_the_planned_resources(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=2, fresh=18)
    planned = run_sample(store).result
    ran = run_sample(store, "--apply")
    assert ran.code == 0 and ran.result
    assert [a["resource"] for a in ran.result["actions"]] == [a["resource"] for a in planned["actions"]]  # type: ignore[index]
    assert {a["outcome"] for a in ran.result["actions"]} == {"done"}
    assert not (store / "old0.json").exists() and (store / "new0.json").exists()


def test_a_failing_action_does_not_stop_the_others_and_the_run_is_partial(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=17)
    write_items(
        store,
        {"id": "a", "expires_at": PAST, "behaviour": "permanent"},
        {"id": "b", "expires_at": PAST, "behaviour": "crash"},
        {"id": "c", "expires_at": PAST},
    )
    ran = run_sample(
        store, "--apply", "--config", write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions_percent": 50}})
    )
    assert ran.code == 1 and ran.result
    assert ran.result["status"] == "partial"
    outcomes = {a["resource"]: (a["outcome"], a["error"]) for a in ran.result["actions"]}
    assert outcomes["store:a"] == ("failed", "store:a: refused by the store")
    assert outcomes["store:b"] == ("failed", "ZeroDivisionError: adapter bug")
    assert outcomes["store:c"] == ("done", None)


def test_when_every_action_fails_the_run_is_a_failure(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=9)
    write_items(store, {"id": "a", "expires_at": PAST, "behaviour": "permanent"})
    ran = run_sample(store, "--apply")
    assert (ran.code, ran.result["status"]) == (1, "failure")  # type: ignore[index]


def test_transient_errors_are_retried_with_backoff_until_they_pass(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=9)
    write_items(store, {"id": "t", "expires_at": PAST, "behaviour": "transient:2"})
    sleeps: list[float] = []
    ran = run_sample(store, "--apply", runtime=Runtime(sleep=sleeps.append))
    assert ran.code == 0
    assert ran.result["actions"][0]["outcome"] == "done"  # type: ignore[index]
    assert (store / "t.attempts").read_text() == "3"
    assert len(sleeps) == 2


def test_transient_errors_give_up_after_the_bounded_attempts(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=9)
    write_items(store, {"id": "t", "expires_at": PAST, "behaviour": "transient:99"})
    ran = run_sample(store, "--apply")
    assert ran.result["actions"][0]["outcome"] == "failed"  # type: ignore[index]
    assert (store / "t.attempts").read_text() == "4"  # RetryPolicy.attempts


def test_guardrail_on_count_stops_before_anything_is_done(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=4, fresh=96)
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions": 3}})
    ran = run_sample(store, "--apply", "--config", config)
    assert ran.code == 3 and ran.result
    assert {a["outcome"] for a in ran.result["actions"]} == {"skipped"}
    assert all((store / f"old{i}.json").exists() for i in range(4))
    assert "max_actions is 3" in ran.result["errors"][0]["message"]
    alerts = outbox(tmp_path)
    assert [(a["severity"], a["title"]) for a in alerts] == [("critical", "sample-store: guardrail stopped the run")]


def test_guardrail_on_percent_of_inventory(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=3, fresh=7)  # 30% > default 20%
    ran = run_sample(store, "--apply")
    assert ran.code == 3
    assert "30% of 10 resources" in ran.result["errors"][0]["message"]  # type: ignore[index]
    assert (store / "old0.json").exists()


def test_a_dry_run_reports_the_guardrail_too(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=3, fresh=7)
    ran = run_sample(store)
    assert ran.code == 3 and outbox(tmp_path) == []


def test_fail_on_gate_exits_4_only_at_or_above_the_threshold(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(store, {"id": "w", "severity": "warning"}, {"id": "i", "severity": "info"})
    assert run_sample(store, "--fail-on", "critical").code == 0
    assert run_sample(store, "--fail-on", "warning").code == 4
    assert run_sample(store, "--fail-on", "info").code == 4


def test_unreadable_items_are_errors_naming_the_source_and_the_run_goes_on(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=3)
    (store / "broken.json").write_text("{not json")
    ran = run_sample(store)
    assert ran.code == 1 and ran.result
    assert ran.result["status"] == "partial"
    assert ran.result["errors"] == [{"source": "store:broken.json", "message": "not valid JSON"}]
    assert ran.result["summary"]["total_checked"] == 3


def test_a_crashing_collect_is_a_recorded_failure_not_a_traceback(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=1, fresh=9)
    (store / "_hold").write_text("not-a-number")  # collect raises ValueError
    ran = run_sample(store, "--apply")
    assert ran.code == 1 and ran.result
    assert ran.result["status"] == "failure"
    assert ran.result["errors"] == [
        {"source": "job", "message": "ValueError: could not convert string to float: 'not-a-number'"}
    ]
    assert ran.result["actions"] == [] and (store / "old0.json").exists()


def test_a_crashing_plan_is_a_recorded_failure(tmp_path: Path) -> None:
    write_items(tmp_path / "s", {"id": "x", "severity": "nonsense"})
    ran = run_sample(tmp_path / "s")
    assert ran.code == 1 and ran.result
    assert ran.result["status"] == "failure"
    assert ran.result["errors"][0]["source"] == "job"
    assert "'nonsense' is not a valid Severity" in ran.result["errors"][0]["message"]


def test_now_moves_every_time_based_decision_and_the_recorded_times(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(
        store,
        *[{"id": f"n{i}", "expires_at": "2026-06-01T00:00:00+00:00"} for i in range(1)],
        *[{"id": f"k{i}"} for i in range(9)],
    )
    assert run_sample(store, "--now", "2026-05-31T23:59:59Z").result["actions"] == []  # type: ignore[index]
    ran = run_sample(store, "--now", "2026-06-01T00:00:00Z")
    assert ran.result and [a["resource"] for a in ran.result["actions"]] == ["store:n0"]
    assert ran.result["started_at"] == "2026-06-01T00:00:00Z"
    with StateStore("sqlite:///secops-state.db").session() as s:
        runs = s.scalars(select(Run).order_by(Run.started_at)).all()
        assert runs[-1].started_at.isoformat() == "2026-06-01T00:00:00+00:00"


def test_every_run_is_kept_in_the_state_db_with_its_findings(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(store, {"id": "a", "severity": "critical", "message": "broken"}, {"id": "b"})
    ran = run_sample(store)
    with StateStore("sqlite:///secops-state.db").session() as s:
        run = s.get(Run, ran.result["run_id"])  # type: ignore[index]
        assert run is not None and (run.status, run.exit_code, run.dry_run) == ("success", 0, True)
        rows = s.scalars(select(FindingRow).where(FindingRow.run_id == run.run_id)).all()
        assert {(r.resource, r.severity) for r in rows} == {("store:a", "critical"), ("store:b", "ok")}


def test_every_action_is_audited_with_who_why_and_outcome(tmp_path: Path) -> None:
    from jobs.core.state.audit import AuditEntry

    store = tmp_path / "store"
    fleet(store, expired=1, fresh=9)
    planned = run_sample(store).result
    done = run_sample(store, "--apply").result
    with StateStore("sqlite:///secops-state.db").session() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(r.run_id, r.resource, r.outcome, r.reason) for r in rows] == [
            (planned["run_id"], "store:old0", "planned", f"expired at {PAST}"),  # type: ignore[index]
            (done["run_id"], "store:old0", "done", f"expired at {PAST}"),  # type: ignore[index]
        ]
        assert rows[0].actor


def test_result_json_has_every_contract_key(tmp_path: Path) -> None:
    write_items(tmp_path / "s", {"id": "a"})
    result = run_sample(tmp_path / "s").result
    assert result is not None
    assert set(result) >= {
        "job",
        "run_id",
        "started_at",
        "completed_at",
        "duration_seconds",
        "status",
        "dry_run",
        "summary",
        "findings",
        "actions",
        "alerts_sent",
        "errors",
    }
    assert set(result["summary"]) >= {"total_checked", "critical", "warning", "info", "ok"}


def test_shards_split_the_inventory_without_overlap(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(store, *[{"id": f"r{i}"} for i in range(40)])
    seen: list[str] = []
    for index in range(3):
        result = run_sample(store, "--shard", f"{index}/3").result
        assert result is not None and result["shard"] == f"{index}/3"
        seen += [f["resource"] for f in result["findings"]]
    assert sorted(seen) == sorted(f"store:r{i}" for i in range(40))


@given(st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=50), st.integers(1, 8))
def test_every_key_belongs_to_exactly_one_shard(keys: list[str], count: int) -> None:
    for key in keys:
        owners = [i for i in range(count) if Shard(i, count).owns(key)]
        assert len(owners) == 1


def test_an_action_blocked_by_a_later_one_is_retried_after_it_in_the_same_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=17)
    write_items(
        store,
        {"id": "a-sg", "expires_at": PAST, "behaviour": "after:b-instance"},  # planned first, blocked
        {"id": "b-instance", "expires_at": PAST},
    )
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions_percent": 50}})
    ran = run_sample(store, "--apply", "--config", config)
    assert ran.code == 0 and ran.result
    assert [(a["resource"], a["outcome"]) for a in ran.result["actions"]] == [
        ("store:a-sg", "done"),
        ("store:b-instance", "done"),
    ]
    assert not (store / "a-sg.json").exists()


def test_an_action_that_stays_blocked_fails_after_the_deferred_passes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fleet(store, expired=0, fresh=17)
    write_items(store, {"id": "a-sg", "expires_at": PAST, "behaviour": "after:new0"}, {"id": "z", "expires_at": PAST})
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions_percent": 50}})
    ran = run_sample(store, "--apply", "--config", config)
    assert ran.code == 1 and ran.result
    outcomes = {a["resource"]: (a["outcome"], a["error"]) for a in ran.result["actions"]}
    assert outcomes == {"store:a-sg": ("failed", "store:a-sg: new0 still depends on it"), "store:z": ("done", None)}


def test_a_job_with_independent_actions_has_several_in_flight_and_outcomes_keep_the_plan_order(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    store = tmp_path / "store"
    fleet(store, expired=0, fresh=12)
    write_items(store, *[{"id": f"p{n}", "expires_at": PAST, "behaviour": "together"} for n in range(8)])
    write_items(store, {"id": "p8", "expires_at": PAST, "behaviour": "permanent"})
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions_percent": 50}})
    parallel = replace(SPEC, class_path="tests.sample_jobs:ParallelStoreJob")
    ran = run_sample(store, "--apply", "--config", config, spec=parallel)
    assert ran.result is not None
    assert [(a["resource"], a["outcome"]) for a in ran.result["actions"]] == [
        *[(f"store:p{n}", "done") for n in range(8)],  # four at a time met at the barrier
        ("store:p8", "failed"),
    ]
