"""Deletion order and dollars avoided."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.core.errors import ConfigError
from jobs.ttl_teardown.catalog import ORDER, hourly, rank
from jobs.ttl_teardown.cost import SHIPPED, Pricing, Sizing, avoided, load_pricing

ROOT = Path(__file__).resolve().parents[2]


def test_dependents_go_before_what_they_depend_on() -> None:
    assert rank("iam:role") < rank("autoscaling:group") < rank("ec2:instance")
    assert rank("ec2:instance") < rank("ec2:volume") < rank("ec2:security-group")
    assert rank("elbv2:load-balancer") < rank("elbv2:target-group")
    assert rank("eks:nodegroup") < rank("eks:cluster")
    assert rank("k8s:deployment") < rank("k8s:namespace") == len(ORDER) - 1
    assert rank("something:new") == len(ORDER)


def test_the_shipped_price_list_loads() -> None:
    pricing = load_pricing(SHIPPED)
    assert pricing.ec2_hourly["t3.micro"] == 0.0104
    assert pricing.ebs_gb_month["gp3"] == 0.08


@pytest.mark.parametrize(
    ("kind", "sizing", "dollars"),
    [
        ("ec2:instance", Sizing(instance_type="m5.large"), 69.12),  # 0.096 * 720 h
        ("ec2:instance", Sizing(instance_type="m5.large", running=False), 0.0),  # stopped: no compute
        ("rds:instance", Sizing(instance_type="db.m5.large"), 123.12),
        ("rds:instance", Sizing(instance_type="db.m5.large", multi_az=True), 246.24),
        ("ec2:volume", Sizing(volume_type="gp3", size_gb=100), 7.89),  # 8 $/month * 720/730
        ("s3:bucket", Sizing(size_gb=1000), 22.68),
        ("ec2:instance", Sizing(instance_type="x99.mega"), None),  # unknown: said so, not 0
        ("k8s:namespace", Sizing(), None),
    ],
)
def test_cost_avoided_over_the_default_30_day_horizon(kind: str, sizing: Sizing, dollars: float | None) -> None:
    pricing = load_pricing(SHIPPED)
    assert avoided(hourly(kind, sizing, pricing), 30) == dollars


def test_a_bad_price_list_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("ec2_hourly: {t3.micro: cheap}\n")
    with pytest.raises(ConfigError, match="prices must be numbers"):
        load_pricing(tmp_path / "p.yaml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_pricing(tmp_path / "missing.yaml")
    assert Pricing().s3_gb_month == 0.0


def test_every_type_in_the_order_can_be_read_deleted_and_tagged() -> None:
    from jobs.ttl_teardown.providers.aws.types import TYPES
    from jobs.ttl_teardown.providers.kubernetes import KINDS
    from jobs.ttl_teardown.settings import AWS_TYPES, K8S_KINDS

    assert set(AWS_TYPES) == set(TYPES)
    assert all(callable(f) for s in TYPES.values() for f in (s.reader(), s.reader_one(), s.deleter(), s.tagger()))
    assert {f"k8s:{k}" for k in K8S_KINDS} == {f"k8s:{k}" for k in KINDS} == {t for t in ORDER if t.startswith("k8s:")}
