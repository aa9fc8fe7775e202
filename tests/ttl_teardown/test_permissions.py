"""The IAM policy generated for ttl-teardown is enough, proven on moto's server with IAM
enforced: a user holding exactly the document `python -m jobs permissions --format iam` prints
for the run's settings reads, explains, extends (tags) and tears down one resource of each type
and writes the run's audit object to the audit bucket; take one action away and what needs it
fails.

moto's enforcement leaves out some of it, so the proof does too: EKS (its REST calls fail moto's
signature check under enforcement, so eks:* is generated but not proven here); S3's DeleteObjects
(moto authorises no action for it: s3:DeleteObject and s3:DeleteObjectVersion are unproven); the
Price List API (moto has none: pricing:GetProducts, generated when `cost.refresh` is on, is
unproven; the price tests use an HTTP fake); and moto checks the Resource Groups Tagging API as
`tagging:GetResources` where AWS spells it `tag:GetResources`, so the user also holds moto's
spelling (tests.grants.moto_gaps, derived from the document). sts:GetCallerIdentity needs no
grant on AWS nor on moto. S3 is the one service moto checks against the real ARN, so the audit
bucket's `s3:PutObject` on `arn:aws:s3:::<bucket>/<prefix>*` is proven with its resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from jobs.core.clients.aws import aws_client
from jobs.core.deploy import policies
from jobs.core.permissions import Permissions
from jobs.core.registry import JOBS
from jobs.core.resolve import load_settings
from jobs.core.runtime import Runtime
from jobs.ttl_teardown.extend import explain, extend
from jobs.ttl_teardown.providers.aws.types import TYPES
from jobs.ttl_teardown.providers.kubernetes import KINDS
from tests import services
from tests.fakes.kubernetes import FakeKubernetes
from tests.grants import as_iam_user, generated, needs, rbac_rules, reset_auth
from tests.helpers import run_cli, write_config
from tests.ttl_teardown.fleet import K8S_LABELS, OWNER, REGION, T0, tags, ttl_config

JOB = "ttl-teardown"
PROVEN = [t for t in TYPES if not t.startswith("eks:")]
CREATED = T0 - timedelta(days=1)  # ttl 2d, extended by 7: expires at T0 + 8 days
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {}}]}
AUDIT = {"s3_bucket": "secops-audit", "s3_prefix": "teardown/runs/"}


def one_of_each() -> None:
    """One expired, opted-in resource of every proven type, made while IAM is not enforced."""
    ec2, elb, asg, s3, rds, iam = (aws_client(s, REGION) for s in ("ec2", "elbv2", "autoscaling", "s3", "rds", "iam"))
    spec = [{"ResourceType": "instance", "Tags": tags(CREATED)}]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=spec)
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, TagSpecifications=[{**spec[0], "ResourceType": "volume"}])
    ec2.create_security_group(
        GroupName="web", Description="web", TagSpecifications=[{**spec[0], "ResourceType": "security-group"}]
    )
    s3.create_bucket(Bucket="pr-42-assets", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="pr-42-assets", Tagging={"TagSet": tags(CREATED)})
    s3.put_object(Bucket="pr-42-assets", Key="index.html", Body=b"<p>hi</p>")
    rds.create_db_instance(
        DBInstanceIdentifier="scratch", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin",
        MasterUserPassword="a-Long-pw-123", AllocatedStorage=20, Tags=tags(CREATED),
    )  # fmt: skip
    ec2.create_launch_template(LaunchTemplateName="ci-runner", LaunchTemplateData={"ImageId": image})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="ci-runners", LaunchTemplate={"LaunchTemplateName": "ci-runner"}, MinSize=0, MaxSize=1,
        DesiredCapacity=0, AvailabilityZones=[f"{REGION}a"], Tags=tags(CREATED),
    )  # fmt: skip
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    elb.create_load_balancer(Name="pr-42-alb", Subnets=subnets, Tags=tags(CREATED))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    elb.create_target_group(Name="pr-42-tg", Protocol="HTTP", Port=80, VpcId=vpc, Tags=tags(CREATED))
    iam.create_role(RoleName="pr-42-app", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=tags(CREATED))
    s3.create_bucket(Bucket=AUDIT["s3_bucket"], CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(
        Bucket=AUDIT["s3_bucket"], Tagging={"TagSet": tags(CREATED, environment="prod", owner="platform@example.com")}
    )


@pytest.fixture
def enforced(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's server with the fleet made, then every call authorised against IAM: yields a
    function that hands the job a user holding exactly the IAM policy `document`."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    one_of_each()
    try:
        yield lambda document: as_iam_user(moto, monkeypatch, "teardown", document)
    finally:
        reset_auth(moto, "inf")


def config(tmp_path: Path) -> str:
    """The run's settings: every proven type, and the audit written to S3."""
    return ttl_config(tmp_path, aws={"types": PROVEN}, max_actions_percent=100, audit=AUDIT)


def without(needed: Permissions, *actions: str) -> str:
    """The generated IAM document of `needed` with `actions` taken away."""
    kept = tuple(replace(g, actions=tuple(a for a in g.actions if a not in actions)) for g in needed.aws)
    return json.dumps(policies.iam_policy(replace(needed, aws=kept)))


def audit_objects() -> list[str]:
    listed = aws_client("s3", REGION).list_objects_v2(Bucket=AUDIT["s3_bucket"]).get("Contents", [])
    return [o["Key"] for o in listed]


def run(tmp_path: Path, days: float) -> dict[str, Any]:
    argv = ["--config", config(tmp_path), "--now", (T0 + timedelta(days=days)).isoformat(), "--apply"]
    return run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None))


def ours(result: dict[str, Any]) -> dict[str, str]:
    """Resource id → type of every resource `one_of_each` made (not the default VPC's group)."""
    return {
        f["resource"]: f["details"]["type"]
        for f in result["findings"]
        if f["type"] == "ttl" and f["details"].get("owner") == OWNER
    }


@pytest.mark.timeout(600)  # nine types made, read, explained, extended, warned and deleted on a shared VM
def test_a_user_holding_exactly_the_generated_policy_reads_explains_extends_tears_down_and_audits(
    enforced: Any, moto: services.Moto, tmp_path: Path
) -> None:
    document = generated("iam", JOB, config(tmp_path))
    assert json.loads(document)["Statement"][-1]["Resource"] == "arn:aws:s3:::secops-audit/teardown/runs/*"
    enforced(document)
    planned = run(tmp_path, 0)  # nothing expired yet: a read of every type, nothing done
    assert planned["errors"] == [] and sorted(set(ours(planned).values())) == sorted(PROVEN)
    settings = load_settings(config(tmp_path))
    for rid in ours(planned):
        assert explain(settings, rid, T0)["resource"] == rid  # read-one
        assert extend(settings, rid, 7, "demo", OWNER, T0)["ttl_tag"] == "2d+7d", rid  # tag
    warned = run(tmp_path, 9)
    assert warned["errors"] == [] and [a["outcome"] for a in warned["actions"]] == ["done"]
    deleted = run(tmp_path, 10.1)
    done = {ours(planned)[a["resource"]]: a["outcome"] for a in deleted["actions"] if a["kind"] == "delete"}
    assert deleted["errors"] == [] and done == dict.fromkeys(PROVEN, "done"), deleted["actions"]
    assert ours(run(tmp_path, 10.2)) == {}  # every one of them gone
    reset_auth(moto, "inf")
    written = audit_objects()  # one per run that acted, under the prefix the policy names
    assert len(written) >= 2 and all(k.startswith(AUDIT["s3_prefix"]) for k in written), written


@pytest.mark.timeout(600)
def test_a_grant_taken_away_fails_what_needs_it_and_only_that(enforced: Any, tmp_path: Path) -> None:
    enforced(without(needs(JOB, config(tmp_path)), "ec2:DeleteVolume", "iam:ListRoleTags", "s3:PutObject"))
    run(tmp_path, 3)
    deleted = run(tmp_path, 4.1)
    unread, unwritten = deleted["errors"]
    assert unread["source"] == f"aws:{REGION}:iam:role:pr-42-app" and "iam:ListRoleTags" in unread["message"]
    assert (
        unwritten["source"] == "after_apply" and "write audit s3://secops-audit/teardown/runs/" in unwritten["message"]
    )
    assert "AccessDenied" in unwritten["message"]
    outcomes = {
        a["details"]["type"]: (a["outcome"], a["error"] or "") for a in deleted["actions"] if a["kind"] == "delete"
    }
    assert outcomes.pop("ec2:volume")[1].startswith("delete volume") and "AccessDenied" in str(deleted)
    assert set(outcomes) == set(PROVEN) - {"ec2:volume", "iam:role"} and {o for o, _ in outcomes.values()} == {"done"}


def test_the_kubernetes_kinds_declare_exactly_the_rbac_rules_a_run_explain_and_extend_use(
    kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    """The fake API authorises as the generated ClusterRole binding says (`permissions --format
    rbac` for the run's settings); every request it saw is mapped to its (group, resource, verb)
    and held against those rules, both ways: nothing used that is not granted, nothing granted
    that is never used."""
    created = (T0 - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {"labels": {**K8S_LABELS, "ttl": "2d"}, "annotations": {"owner": OWNER}, "creationTimestamp": created}
    kubernetes_api.add("namespaces", {"metadata": {"name": "pr-7", **meta}})
    kubernetes_api.add("namespaces", {"metadata": {"name": "pr-8", **meta, "labels": {**K8S_LABELS, "ttl": "30d"}}})
    for plural in ("deployments", "statefulsets", "services", "configmaps"):
        kubernetes_api.add(plural, {"metadata": {"name": "web", "namespace": "pr-7", **meta}})
    kubernetes_api.add("services", {"metadata": {"name": "web", "namespace": "pr-8", **meta}})  # extended
    section = {"aws": {"enabled": False}, "kubernetes": {"enabled": True}, "max_actions_percent": 100}
    path = write_config(tmp_path / "c.yaml", {"state_db_url": f"sqlite:///{tmp_path}/s.db", "ttl_teardown": section})
    api = k8s.ApiClient(k8s.Configuration(host=kubernetes_api.url))
    kubernetes_api.rbac = rbac_rules(list(yaml.safe_load_all(generated("rbac", JOB, path))), JOB, "secops")
    settings = load_settings(path)
    ids = ["k8s:namespace/pr-7", *(f"k8s:pr-7/{kind}/web" for kind in KINDS if kind != "namespace")]
    assert all(explain(settings, rid, T0, {"kubernetes": api})["resource"] == rid for rid in ids)
    extended = extend(settings, "k8s:pr-8/service/web", 7, "demo", OWNER, T0, {"kubernetes": api})
    assert extended["ttl_tag"] == "2d+7d"
    for days in (0, 1.1, 6.5, 7.6):  # warned, deleted; the extended service warned again, then deleted
        argv = ["--config", path, "--now", (T0 + timedelta(days=days)).isoformat(), "--apply"]
        run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None, clients={"kubernetes": api}))
    assert kubernetes_api.get("namespaces", "", "pr-7") is None  # the runs did delete
    assert kubernetes_api.get("services", "pr-8", "web") is None
    used = {_rule_of(r.method, r.path) for r in kubernetes_api.requests}
    allowed = {(g.api_group, r, v) for g in kubernetes_api.rbac for r in g.resources for v in g.verbs}
    declared = {(g.api_group, r, v) for k in KINDS.values() for g in k.grants for r in g.resources for v in g.verbs}
    assert allowed == declared
    assert used <= allowed, used - allowed
    assert {(g, r, v) for g, r, v in allowed if v != "patch" or r == "services"} <= used  # each declared verb used


def _rule_of(method: str, path: str) -> tuple[str, str, str]:
    """(API group, resource, verb) of a request, as RBAC reads it."""
    parts = path.split("?")[0].strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    if rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]  # /namespaces/<ns>/<resource>[/<name>]
    verb = {"GET": "get" if len(rest) > 1 else "list", "DELETE": "delete", "PATCH": "patch"}[method]
    return group, rest[0], verb
