"""The summary's severities count each checked resource once, so they add up to what was checked."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from jobs.core.model import Finding, Severity
from jobs.core.runner import severity_counts
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Resource
from tests.ttl_teardown.test_plan import build, ctx
from tests.ttl_teardown.test_rules import GOOD, NOW

SEVERITIES = st.sampled_from(list(Severity))
FINDINGS = st.lists(
    st.builds(
        Finding,
        st.sampled_from(["ttl", "created_at_mismatch", "tag_violation", "rotation_failed"]),
        SEVERITIES,
        st.sampled_from(["r1", "r2", "R1", " r1", "résumé", ""]),
        st.just("m"),
        st.just({}),
    ),
    max_size=40,
)


@given(FINDINGS)
def test_severities_count_each_resource_once_at_its_worst(findings: list[Finding]) -> None:
    counts = severity_counts(findings)
    resources = {f.resource for f in findings}
    assert sum(counts.values()) == len(resources)
    for resource in resources:
        worst = Severity.worst(*(f.severity for f in findings if f.resource == resource))
        assert counts[str(worst)] >= 1


def test_a_resource_with_a_second_finding_is_counted_once_so_the_summary_adds_up() -> None:
    """A ttl verdict plus a created_at mismatch on one instance was 'checked 1' beside 2 severities."""
    i = Item(Resource("arn:x", "ec2:instance", GOOD, api_created_at=NOW - timedelta(days=1)), "aws", "us-east-1", "i-x")
    plan = build([i], {}, ctx())
    assert len(plan.findings) == 2
    counts = severity_counts(plan.findings)
    assert sum(counts.values()) == 1
    assert counts["info"] == 1
