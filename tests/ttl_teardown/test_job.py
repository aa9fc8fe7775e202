"""ttl-teardown end to end on moto's server: warn, wait the notice, delete; never what must stay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from jobs.core.clients.aws import aws_client
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from tests.helpers import outbox, run_cli
from tests.ttl_teardown.fleet import REGION, T0, protected_database, ttl_config

MUTATING = ("Terminate", "Delete", "Create", "Put", "Modify", "Update", "Attach", "Detach")


class Calls:
    """Every AWS operation the job's clients send, by botocore's event hook (no patching)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.throttle = 0

    def hook(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def mutating(self) -> list[str]:
        return [n for n in self.names if n.startswith(MUTATING)]


def run(
    fleet: dict[str, Any], when: datetime, *argv: str, calls: Calls | None = None, **section: Any
) -> dict[str, Any]:
    config = ttl_config(fleet["dir"], whitelist={"tags": [{"key": "critical", "value": "true"}]}, **section)
    clients: dict[str, Any] = {}
    if calls is not None:
        client = aws_client("ec2", REGION)
        client.meta.events.register("before-call.*.*", calls.hook)
        clients[f"aws:ec2:{REGION}"] = client
    argv = ("--config", config, "--now", when.isoformat(), *argv)
    return run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None, clients=clients))


def state(fleet: dict[str, Any], name: str) -> str:
    found = fleet["ec2"].describe_instances(InstanceIds=[fleet["ids"][name]])["Reservations"][0]["Instances"][0]
    return str(found["State"]["Name"])


def test_a_dry_run_plans_and_reports_but_makes_no_mutating_call(fleet: dict[str, Any]) -> None:
    calls = Calls()
    result = run(fleet, T0 + timedelta(days=3), calls=calls)
    assert result["dry_run"] is True and result["exit_code"] == 0
    assert calls.mutating() == [] and "DescribeInstances" in calls.names
    assert outbox(fleet["dir"]) == []
    names = {v: k for k, v in fleet["ids"].items()}
    kept = {
        names[f["details"]["name"]]: f["details"].get("kept_reason") for f in result["findings"] if f["type"] == "ttl"
    }
    assert kept["prod"] == "environment=prod" and kept["restricted"] == "data-class=restricted"
    assert (
        kept["opted-out"] == "auto-teardown is not true" and kept["whitelisted"] == "whitelisted by tag critical=true"
    )
    assert [names[f["details"]["name"]] for f in result["findings"] if f["type"] == "tag_violation"] == ["long"]


def test_warned_first_then_deleted_after_the_notice_and_never_what_must_stay(fleet: dict[str, Any]) -> None:
    first = run(fleet, T0 + timedelta(days=3), "--apply")  # expired, never warned
    assert [a["kind"] for a in first["actions"]] == ["warn", "notify_violations"]
    assert all(a["outcome"] == "done" for a in first["actions"])
    [warning, violation] = [m for m in outbox(fleet["dir"]) if m["recipients"]]  # the owner's mail
    assert warning["recipients"] == ["dana@example.com"] and fleet["ids"]["doomed"] in warning["body"]
    assert "ttl 90d is over the 30-day maximum" in violation["body"]
    assert state(fleet, "doomed") == "running"

    assert [a["kind"] for a in run(fleet, T0 + timedelta(days=3, hours=23), "--apply")["actions"]] == []  # notice runs
    third = run(fleet, T0 + timedelta(days=4, hours=1), "--apply")
    assert [(a["kind"], a["outcome"]) for a in third["actions"]] == [("delete", "done")]
    assert third["actions"][0]["resource"].endswith(fleet["ids"]["doomed"])
    assert third["summary"]["cost_avoided_usd"] == 7.49
    assert state(fleet, "doomed") in ("shutting-down", "terminated")
    for name in ("prod", "restricted", "opted-out", "whitelisted", "long", "fresh0"):
        assert state(fleet, name) == "running", name


def test_warn_only_sends_warnings_and_deletes_nothing(fleet: dict[str, Any]) -> None:
    first = run(fleet, T0 + timedelta(days=3), "--apply", "--warn-only")  # the hourly run finds doomed expired
    assert [(a["kind"], a["outcome"]) for a in first["actions"]] == [("warn", "done"), ("notify_violations", "done")]
    mails = [m for m in outbox(fleet["dir"]) if m["recipients"] == ["dana@example.com"]]
    assert any(fleet["ids"]["doomed"] in m["body"] and "will be deleted" in m["title"] for m in mails), mails
    result = run(fleet, T0 + timedelta(days=5), "--apply", "--warn-only")  # its deletion is due, and not done
    assert [a["kind"] for a in result["actions"]] == [] and state(fleet, "doomed") == "running"
    assert result["summary"]["to_delete"] == 1  # the plan had one: the warn-only run left it out


def test_the_guardrail_stops_a_plan_bigger_than_its_limits(fleet: dict[str, Any]) -> None:
    run(fleet, T0 + timedelta(days=3), "--apply")
    result = run(fleet, T0 + timedelta(days=5), "--apply", max_actions=0)
    assert result["exit_code"] == 3 and state(fleet, "doomed") == "running"
    assert result["errors"][0]["source"] == "guardrail"


def test_throttling_is_retried_by_the_client(fleet: dict[str, Any]) -> None:
    calls = Calls()
    client = aws_client("ec2", REGION)
    throttled = {"left": 2}

    def throttle(request: Any, **_: Any) -> Any:
        if throttled["left"]:
            throttled["left"] -= 1
            from botocore.awsrequest import AWSResponse

            body = b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>"
            return AWSResponse(request.url, 503, {}, type("Raw", (), {"stream": lambda self, *a, **k: iter([body])})())
        return None

    client.meta.events.register("before-send.ec2.DescribeInstances", throttle)
    client.meta.events.register("before-call.*.*", calls.hook)
    runtime = Runtime(sleep=lambda _: None, clients={f"aws:ec2:{REGION}": client})
    result = run_cli(JOBS["ttl-teardown"], ["--config", ttl_config(fleet["dir"]), "--now", T0.isoformat()], runtime)
    assert result["exit_code"] == 0 and result["errors"] == [] and throttled["left"] == 0
    assert result["summary"]["total_checked"] == 12


def test_each_run_leaves_one_audit_object_in_s3_and_a_failing_delete_does_not_stop_the_others(
    fleet: dict[str, Any],
) -> None:
    s3 = aws_client("s3", REGION)
    s3.create_bucket(Bucket="audit-trail", CreateBucketConfiguration={"LocationConstraint": REGION})
    created = T0 - timedelta(days=1)
    protected_database(created)
    section = {
        "aws": {"types": ["ec2:instance", "rds:instance"]},
        "audit": {"s3_bucket": "audit-trail"},
        "max_actions_percent": 50,
    }
    run(fleet, T0 + timedelta(days=3), "--apply", **section)
    result = run(fleet, T0 + timedelta(days=5), "--apply", **section)
    outcomes = {a["resource"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]: a["outcome"] for a in result["actions"]}
    assert outcomes == {fleet["ids"]["doomed"]: "done", "guarded": "failed"}
    assert result["status"] == "partial" and result["exit_code"] == 1
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit-trail")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("ttl-teardown/2026/11/2") and k.endswith(".jsonl") for k in keys)
    last = s3.get_object(Bucket="audit-trail", Key=sorted(keys)[-1])["Body"].read().decode().splitlines()
    assert {json.loads(line)["outcome"] for line in last} == {"done", "failed"}
