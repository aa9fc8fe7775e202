"""One table per resource type: every AWS type and every Kubernetes kind names everything about
it, and every other table of the job is derived from those two."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from kubernetes import client as k8s

from jobs.ttl_teardown.catalog import ORDER, PRICE_KEYS, QUOTAS
from jobs.ttl_teardown.cost import PRICES
from jobs.ttl_teardown.providers.aws.types import TYPES, TypeSpec, type_of_arn, type_of_id
from jobs.ttl_teardown.providers.kubernetes import KINDS
from jobs.ttl_teardown.settings import AWS_TYPES, K8S_KINDS

#: IAM's service prefixes for the services the job calls
PREFIXES = {"ec2", "s3", "rds", "autoscaling", "elasticloadbalancing", "eks", "iam", "tag"}
ACTION = re.compile(r"(?P<prefix>[a-z0-9-]+):(?P<name>[A-Z][A-Za-z0-9]+)")
OPERATIONS = ("read", "read_one", "delete", "tag")


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_aws_type_names_every_field_and_a_grant_for_each_operation(kind: str) -> None:
    spec = TYPES[kind]
    required = [f.name for f in dataclasses.fields(TypeSpec)]
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(TypeSpec)), "no field may be left out"
    assert spec.service and spec.read and spec.read_one and spec.delete and spec.tag, required
    assert all(callable(f) for f in (spec.reader(), spec.reader_one(), spec.deleter(), spec.tagger()))
    assert spec.scope in ("region", "global") and spec.price in (*PRICES, None)
    assert spec.arn[0] in PREFIXES and (spec.short_id is None or re.compile(spec.short_id))
    for operation in OPERATIONS:
        grants = getattr(spec.grants, operation)
        actions = [a for g in grants for a in g.actions]
        assert actions, f"{kind} declares no IAM action to {operation}"
        for action in actions:
            match = ACTION.fullmatch(action)
            assert match and match["prefix"] in PREFIXES, f"{kind}: {action!r} is no IAM action"
        assert all(g.purpose for g in grants)


def test_the_order_the_settings_the_prices_and_the_quotas_all_come_from_the_two_tables() -> None:
    assert tuple(sorted(TYPES, key=lambda t: TYPES[t].order)) == AWS_TYPES
    assert (*AWS_TYPES, *(f"k8s:{k}" for k in sorted(KINDS, key=lambda k: KINDS[k].order))) == ORDER
    assert len({s.order for s in TYPES.values()} | {k.order for k in KINDS.values()}) == len(ORDER)
    assert set(K8S_KINDS) == set(KINDS)
    assert PRICE_KEYS == {"ec2:instance": "ec2", "rds:instance": "rds", "ec2:volume": "ebs", "s3:bucket": "s3"}
    assert {t: q.metric for t, q in QUOTAS.items()} == {
        "ec2:instance": "ec2_instances",
        "rds:instance": "rds_databases",
        "s3:bucket": "s3_buckets",
        "ec2:volume": "ebs_volumes_gb",
        "k8s:namespace": "k8s_namespaces",
    }


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", "ec2:instance"),
        ("arn:aws:ec2:eu-west-1:123456789012:volume/vol-1", "ec2:volume"),
        ("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1", "ec2:security-group"),
        ("arn:aws:s3:::checkout-assets", "s3:bucket"),
        ("arn:aws:rds:eu-west-1:123456789012:db:scratch", "rds:instance"),
        ("arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:uuid:autoScalingGroupName/ci", "autoscaling:group"),
        ("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/50dc6c495c0c9188", "elbv2:load-balancer"),
        ("arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/73e2d6bc24d8a067", "elbv2:target-group"),
        ("arn:aws:eks:eu-west-1:1:nodegroup/ci/workers/uuid", "eks:nodegroup"),
        ("arn:aws:eks:eu-west-1:1:cluster/ci", "eks:cluster"),
        ("arn:aws:iam::123456789012:role/app/pr-42", "iam:role"),
        ("arn:aws:lambda:eu-west-1:1:function:x", None),
    ],
)
def test_an_arn_names_its_type(text: str, kind: str | None) -> None:
    assert type_of_arn(text) == kind


def test_only_an_id_of_a_shape_one_type_has_is_taken_for_an_id() -> None:
    assert type_of_id("i-0123456789abcdef0") == "ec2:instance" and type_of_id("i-01234567") == "ec2:instance"
    assert type_of_id("vol-0123456789abcdef0") == "ec2:volume" and type_of_id("sg-01234567") == "ec2:security-group"
    assert type_of_id("i-0000") is None and type_of_id("checkout-assets") is None and type_of_id("doomed") is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kubernetes_kind_names_its_methods_and_the_rbac_rule_each_operation_needs(kind: str) -> None:
    spec = KINDS[kind]
    api = {"core": k8s.CoreV1Api, "apps": k8s.AppsV1Api}[spec.api]
    for method in (spec.list_all, spec.read_one, spec.delete, spec.patch):
        assert callable(getattr(api, method, None)), f"{kind}: {api.__name__} has no {method}"
    [rule] = spec.grants
    assert rule.api_group == ("" if spec.api == "core" else spec.api) and rule.resources == (f"{kind}s",)
    assert set(rule.verbs) == {"list", "get", "delete", "patch"} and rule.purpose
    assert spec.permissions().kubernetes == spec.grants


_SHAPED = sorted(t for t, s in TYPES.items() if s.short_id)


@given(
    st.sampled_from(_SHAPED).flatmap(
        lambda t: st.tuples(st.just(t), st.from_regex(TYPES[t].short_id or "", fullmatch=True))
    )
)
def test_an_id_of_a_type_s_own_shape_routes_to_that_type_and_no_other(case: tuple[str, str]) -> None:
    """`explain`/`extend`/the snooze link read an id through one type's reader: two shapes that
    overlapped would read the wrong type and answer "not in the inventory" for a live resource."""
    kind, text = case
    assert type_of_id(text) == kind
    assert [t for t in _SHAPED if re.fullmatch(TYPES[t].short_id or "", text)] == [kind]


_VARIANTS = st.sampled_from(
    [
        str.upper,
        lambda s: f" {s}",
        lambda s: f"{s}\n",
        lambda s: s + "0",
        lambda s: s[:-1],
        lambda s: s.replace("0", "\u0660", 1),
        lambda s: s.replace("-", "\u2010", 1),
    ]
)


@given(st.sampled_from(_SHAPED).flatmap(lambda t: st.from_regex(TYPES[t].short_id or "", fullmatch=True)), _VARIANTS)
def test_a_mangled_id_is_not_taken_for_an_id(text: str, mangle: Callable[[str], str]) -> None:
    """A near-miss (case, whitespace, a digit too many or too few, Arabic-Indic digits, a Unicode
    hyphen) is looked up as a name, across the whole inventory, never routed to a type's reader."""
    mangled = mangle(text)
    assume(mangled != text)  # an id without a 0 has no Arabic-Indic variant
    assert type_of_id(mangled) is None
