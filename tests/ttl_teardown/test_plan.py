"""The teardown plan: one warning per owner, deletions in order, every kept resource explained."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from jobs.core.model import Plan
from jobs.ttl_teardown import plan as planning
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.cost import SHIPPED, Sizing, load_pricing
from jobs.ttl_teardown.job import with_history
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.plan import Context, violation_key
from jobs.ttl_teardown.rules import History, Policy, Resource, decide, warning_key
from tests.ttl_teardown.test_rules import EXPIRES, GOOD, NOW

ROOT = Path(__file__).resolve().parents[2]
KEY = b"snooze-key-for-tests-0123456789-abcdef"
PRICING = load_pricing(SHIPPED)


def item(name: str, kind: str = "ec2:instance", sizing: Sizing | None = None, **tags: str) -> Item:
    arn = f"arn:aws:{kind.split(':')[0]}:us-east-1:123456789012:{kind.split(':')[1]}/{name}"
    return Item(
        Resource(arn, kind, {**GOOD, **tags}), "aws", "us-east-1", name, sizing or Sizing(instance_type="t3.micro")
    )


def ctx(now=NOW, **kw: object) -> Context:  # type: ignore[no-untyped-def]
    values = {
        "policy": Policy(),
        "horizon_days": 30,
        "quotas": {},
        "now": now,
        **kw,
    }
    return Context(**values)  # type: ignore[arg-type]


def build(items: list[Item], histories: dict[str, History], context: Context) -> Plan:
    """The plan of `items`, each carrying its history and price as collect hands them over."""
    sent = {rid: h.warnings for rid, h in histories.items()}
    extended = {rid: h.extension_days for rid, h in histories.items()}
    return planning.build(with_history(items, sent, extended, PRICING), context)


def warned_long_ago(i: Item) -> History:
    first = decide(i.resource, Policy(), History(), NOW)
    assert first.expires_at
    return History(warnings={warning_key("expired", first.expires_at): NOW - timedelta(days=2)})


def test_expired_resources_warned_long_enough_are_deleted_in_dependency_order() -> None:
    sg, vol, inst = (
        item("sg-1", "ec2:security-group"),
        item("vol-1", "ec2:volume", Sizing(volume_type="gp3", size_gb=50)),
        item("i-1"),
    )
    plan = build([sg, vol, inst], {i.id: warned_long_ago(i) for i in (sg, vol, inst)}, ctx())
    assert [a.resource for a in plan.actions] == [inst.id, vol.id, sg.id]
    assert all(a.kind == "delete" and a.destructive for a in plan.actions)
    assert plan.actions[0].details["cost_avoided_usd"] == 7.49  # t3.micro * 720 h
    assert plan.summary["cost_avoided_usd"] == round(7.49 + 3.95, 2)


def test_one_warning_per_owner_lists_every_resource_with_deadline_cost_and_how_to_extend() -> None:
    items = [item("i-1"), item("i-2"), item("i-3", owner="sam@example.com")]
    plan = build(
        items, {}, ctx(now=EXPIRES - timedelta(hours=40), snooze_key=KEY, snooze_url="https://abc.lambda-url.test")
    )
    warns = [a for a in plan.actions if a.kind == "warn"]
    assert [(a.resource, len(a.entries), a.destructive) for a in warns] == [
        ("owner:dana@example.com", 2, False),
        ("owner:sam@example.com", 1, False),
    ]
    entry = warns[0].entries[0]
    assert entry["expires_at"] == "2026-11-17T09:00:00Z" and entry["key"] == warning_key("48h", EXPIRES)
    assert entry["extend"].startswith(f"python -m jobs.ttl_teardown extend {items[0].id} --days 7")
    link = entry["snooze"][7]
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    from urllib.parse import unquote

    signed = snooze.verify({k: unquote(v) for k, v in query.items()}, KEY, EXPIRES - timedelta(hours=39))
    assert (signed.resource, signed.owner, signed.days) == (items[0].id, "dana@example.com", 7)
    assert plan.summary["owners_to_warn"] == 2 and plan.summary["expiring_48h"] == 3


def test_violations_are_findings_and_the_owner_is_told_once() -> None:
    bad = item("i-9", ttl="90d")
    plan = build([bad], {}, ctx())
    [finding] = [f for f in plan.findings if f.type == "tag_violation"]
    assert finding.message == "ttl 90d is over the 30-day maximum" and str(finding.severity) == "warning"
    [notice] = plan.actions
    assert (notice.kind, notice.resource, notice.destructive) == ("notify_violations", "owner:dana@example.com", False)
    key = notice.entries[0]["key"]
    assert key == violation_key(decide(bad.resource, Policy(), History(), NOW))
    assert build([bad], {bad.id: History(warnings={key: NOW})}, ctx()).actions == []


def test_every_kept_resource_carries_its_reason() -> None:
    plan = build([item("i-p", environment="prod"), item("i-r", **{"data-class": "restricted"})], {}, ctx())
    assert [(f.resource.rsplit("/", 1)[1], f.details["kept_reason"]) for f in plan.findings] == [
        ("i-p", "environment=prod"),
        ("i-r", "data-class=restricted"),
    ]
    assert plan.actions == [] and plan.summary["kept"] == 2


def test_quotas_per_project_with_a_default() -> None:
    items = [item(f"i-{n}") for n in range(3)] + [item("big", "ec2:volume", Sizing(volume_type="gp3", size_gb=900))]
    plan = build(items, {}, ctx(quotas={"default": {"ec2_instances": 2}, "checkout": {"ebs_volumes_gb": 500}}))
    quota = {f.details["metric"]: f.message for f in plan.findings if f.type == "quota_exceeded"}
    assert quota == {
        "ec2_instances": "ec2_instances 3 over the quota of 2",
        "ebs_volumes_gb": "ebs_volumes_gb 900 over the quota of 500",
    }


def test_a_created_at_mismatch_is_an_informational_finding() -> None:
    i = Item(Resource("arn:x", "ec2:instance", GOOD, api_created_at=NOW - timedelta(days=1)), "aws", "us-east-1", "i-x")
    plan = build([i], {}, ctx())
    assert [f.type for f in plan.findings] == ["ttl", "created_at_mismatch"]


def test_an_auto_scaling_member_is_left_to_its_group() -> None:
    member = Item(
        item("i-asg").resource, "aws", "us-east-1", "i-asg", Sizing(instance_type="t3.micro"), {"asg": "ci-runners"}
    )
    plan = build([member], {member.id: warned_long_ago(member)}, ctx())
    assert plan.actions == [] and plan.findings[0].details["verdict"] == "keep"
    assert plan.findings[0].details["kept_reason"] == (
        "part of Auto Scaling group ci-runners: it goes with the group, never alone"
    )


def held(i: Item, held_by: tuple[str, ...] = (), holds: tuple[str, ...] = ()) -> Item:
    return Item(i.resource, i.provider, i.region, i.name, i.sizing, i.details, held_by, holds)


def reasons(plan: Any) -> dict[str, str]:
    return {f.details["name"]: f.details.get("kept_reason", f.details.get("verdict")) for f in plan.findings}


def test_a_volume_attached_to_a_kept_instance_is_kept_naming_it_never_a_failing_delete() -> None:
    inst = item("i-1", ttl="30d")  # alive: kept for now
    vol = held(item("vol-1", "ec2:volume", Sizing(volume_type="gp3", size_gb=50)), held_by=(inst.id,))
    sg = item("sg-1", "ec2:security-group")
    inst = held(inst, holds=(sg.id,))
    plan = build([inst, vol, sg], {i.id: warned_long_ago(i) for i in (vol, sg)}, ctx())
    assert plan.actions == []
    assert reasons(plan)["vol-1"] == "in use by i-1 (ec2:instance), which stays: expires in 17d 7h"
    assert reasons(plan)["sg-1"] == "in use by i-1 (ec2:instance), which stays: expires in 17d 7h"
    assert plan.summary["to_delete"] == 0 and plan.summary["kept"] == 2


def test_what_a_departing_instance_holds_goes_with_it_in_order() -> None:
    inst, sg = item("i-1"), item("sg-1", "ec2:security-group")
    vol = held(item("vol-1", "ec2:volume"), held_by=(inst.id,))
    inst = held(inst, holds=(sg.id,))
    plan = build([sg, vol, inst], {i.id: warned_long_ago(i) for i in (sg, vol, inst)}, ctx())
    assert [a.resource for a in plan.actions] == [inst.id, vol.id, sg.id]


def test_a_kept_holder_keeps_what_it_holds_all_the_way_down() -> None:
    group = item("ci-runners", "autoscaling:group", environment="prod")
    inst = held(item("i-1"), held_by=(group.id,))
    vol = held(item("vol-1", "ec2:volume"), held_by=(inst.id,))
    plan = build([vol, inst, group], {i.id: warned_long_ago(i) for i in (vol, inst)}, ctx())
    assert plan.actions == []
    assert reasons(plan)["i-1"] == "in use by ci-runners (autoscaling:group), which stays: environment=prod"
    assert reasons(plan)["vol-1"].startswith("in use by i-1 (ec2:instance), which stays: in use by ci-runners")


def test_a_holder_this_run_did_not_read_counts_as_staying() -> None:
    eni = "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-0lambda"
    sg = held(item("sg-1", "ec2:security-group"), held_by=(eni,))
    plan = build([sg], {sg.id: warned_long_ago(sg)}, ctx())
    assert plan.actions == [] and reasons(plan)["sg-1"] == "in use by eni-0lambda, which this run does not delete"


def test_a_node_group_and_its_cluster_go_together_or_not_at_all() -> None:
    cluster = item("ci", "eks:cluster")
    nodes = held(item("ci/nodes", "eks:nodegroup", ttl="30d"), held_by=(cluster.id,), holds=(cluster.id,))
    plan = build([cluster, nodes], {cluster.id: warned_long_ago(cluster)}, ctx())
    assert plan.actions == [] and reasons(plan)["ci"].startswith("in use by ci/nodes (eks:nodegroup), which stays")
    both = build(
        [cluster, nodes], {i.id: warned_long_ago(i) for i in (cluster, nodes)}, ctx(now=NOW + timedelta(days=30))
    )
    assert [a.resource for a in both.actions] == [nodes.id, cluster.id]


def test_the_owner_warning_names_what_goes_with_each_resource() -> None:
    inst, sg = item("i-1"), item("sg-1", "ec2:security-group")
    vol = held(item("vol-1", "ec2:volume"), held_by=(inst.id,))
    inst = held(inst, holds=(sg.id,))
    plan = build([inst, vol, sg], {}, ctx(now=EXPIRES - timedelta(hours=40)))
    [warn] = [a for a in plan.actions if a.kind == "warn"]
    assert {e["name"]: e["related"] for e in warn.entries} == {
        "i-1": ["sg-1", "vol-1"],
        "vol-1": ["i-1"],
        "sg-1": ["i-1"],
    }
