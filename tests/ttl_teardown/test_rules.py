"""The teardown policy: tables for each rule, and the safety property under hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.ttl_teardown.rules import (
    History,
    Policy,
    Resource,
    Verdict,
    Whitelist,
    decide,
    parse_ttl,
    warning_key,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ARN = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"
GOOD = {
    "environment": "dev",
    "owner": "dana@example.com",
    "project": "checkout",
    "cost-center": "cc-42",
    "ttl": "7d",
    "created_at": "2026-11-10T09:00:00Z",
    "auto-teardown": "true",
    "data-class": "internal",
}
EXPIRES = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
P = Policy()


def res(tags: dict[str, str] | None = None, **kw: object) -> Resource:
    return Resource(ARN, "ec2:instance", {**GOOD, **(tags or {})}, **kw)  # type: ignore[arg-type]


def warned(label: str, at: datetime, expires: datetime = EXPIRES) -> History:
    return History(warnings={warning_key(label, expires): at})


@pytest.mark.parametrize(
    ("text", "hours", "error"),
    [
        ("7d", 168, None),
        ("14D", 336, None),
        ("30d", 720, None),
        ("48h", 48, None),
        ("31d", None, "ttl 31d is over the 30-day maximum"),
        ("0d", None, "ttl must be more than zero"),
        ("7", None, "ttl '7' is not <number>d or <number>h"),
        ("1w", None, "ttl '1w' is not <number>d or <number>h"),
        ("-3d", None, "ttl '-3d' is not <number>d or <number>h"),
    ],
)
def test_ttl_parsing(text: str, hours: int | None, error: str | None) -> None:
    ttl, why = parse_ttl(text, 30)
    assert (ttl.total_seconds() // 3600 if ttl else None, why) == (hours, error)


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"environment": "prod"}, "environment=prod"),
        ({"environment": "PROD", "ttl": "", "owner": "x"}, "environment=prod"),  # protected before validated
        ({"data-class": "restricted"}, "data-class=restricted"),
        ({"auto-teardown": "false"}, "auto-teardown is not true"),
    ],
)
def test_protected_resources_are_kept_with_their_reason(tags: dict[str, str], reason: str) -> None:
    decision = decide(res(tags), P, History(), NOW)
    assert (decision.verdict, decision.reason) == (Verdict.KEEP, reason)


def test_whitelists_by_arn_pattern_tag_and_namespace() -> None:
    wl = Whitelist(
        arn_patterns=("arn:aws:ec2:*:*:instance/i-0a*",), tags=(("critical", "true"),), namespaces=("kube-system",)
    )
    policy = Policy(whitelist=wl)
    assert decide(res(), policy, History(), NOW).reason == "whitelisted by pattern arn:aws:ec2:*:*:instance/i-0a*"
    other = Resource("arn:aws:s3:::scratch", "s3:bucket", {**GOOD, "Critical": "true"})
    assert decide(other, policy, History(), NOW).reason == "whitelisted by tag critical=true"
    ns = Resource("k8s:kube-system/namespace/kube-system", "k8s:namespace", GOOD, namespace="kube-system")
    assert decide(ns, policy, History(), NOW).reason == "whitelisted namespace kube-system"


@pytest.mark.parametrize(
    ("tags", "violation"),
    [
        ({"owner": ""}, "missing tag owner"),
        ({"owner": "dana"}, "owner 'dana' is not an e-mail address"),
        ({"environment": "production"}, "environment 'production' is not one of demo, dev, prod, sandbox, staging"),
        ({"ttl": "90d"}, "ttl 90d is over the 30-day maximum"),
        ({"ttl": ""}, "missing tag ttl"),
        ({"created_at": "yesterday"}, "created_at 'yesterday' is not an ISO 8601 instant"),
        ({"created_at": "2026-11-10T09:00:00"}, "created_at '2026-11-10T09:00:00' has no timezone"),
        ({"created_at": "2027-01-01T00:00:00Z"}, "created_at 2027-01-01T00:00:00Z is in the future"),
        ({"auto-teardown": "yes"}, "auto-teardown 'yes' is not true or false"),
        ({"data-class": "secret"}, "data-class 'secret' is not one of confidential, internal, public, restricted"),
        ({"cost-center": ""}, "missing tag cost-center"),
    ],
)
def test_a_tag_violation_is_kept_and_named(tags: dict[str, str], violation: str) -> None:
    decision = decide(res(tags), P, History(), NOW)
    assert decision.verdict is Verdict.KEEP
    assert violation in decision.violations


def test_warned_at_48h_then_24h_then_deleted_after_the_notice() -> None:
    r = res()
    t48, t24 = EXPIRES - timedelta(hours=47), EXPIRES - timedelta(hours=23)
    assert decide(r, P, History(), EXPIRES - timedelta(hours=49)).verdict is Verdict.ALIVE
    first = decide(r, P, History(), t48)
    assert (first.verdict, first.warning) == (Verdict.WARN, warning_key("48h", EXPIRES))
    assert decide(r, P, warned("48h", t48), t48 + timedelta(hours=1)).verdict is Verdict.ALIVE  # sent once
    second = decide(r, P, warned("48h", t48), t24)
    assert second.warning == warning_key("24h", EXPIRES)
    both = History(warnings={warning_key("48h", EXPIRES): t48, warning_key("24h", EXPIRES): t24})
    deleted = decide(r, P, both, EXPIRES + timedelta(minutes=1))
    assert (deleted.verdict, deleted.reason) == (Verdict.DELETE, "ttl expired 0h ago")


def test_a_resource_found_expired_is_warned_now_and_deleted_a_notice_later() -> None:
    now = EXPIRES + timedelta(days=3)
    first = decide(res(), P, History(), now)
    assert (first.verdict, first.warning) == (Verdict.WARN, warning_key("expired", EXPIRES))
    history = warned("expired", now)
    assert decide(res(), P, history, now + timedelta(hours=23)).verdict is Verdict.EXPIRED_WAITING
    assert decide(res(), P, history, now + timedelta(hours=24)).verdict is Verdict.DELETE


def test_a_late_24h_warning_covers_the_missed_48h_one() -> None:
    now = EXPIRES - timedelta(hours=10)
    first = decide(res(), P, History(), now)
    assert first.warning == warning_key("24h", EXPIRES)
    assert decide(res(), P, warned("24h", now), now + timedelta(hours=1)).verdict is Verdict.ALIVE


def test_an_extension_moves_the_deadline_and_the_warnings_start_again() -> None:
    old_warning = warned("24h", EXPIRES - timedelta(hours=23))
    extended = History(warnings=old_warning.warnings, extension_days=7)
    new_expiry = EXPIRES + timedelta(days=7)
    assert decide(res(), P, extended, EXPIRES + timedelta(hours=1)).verdict is Verdict.ALIVE
    at_new = decide(res(), P, extended, new_expiry + timedelta(hours=1))
    assert (at_new.verdict, at_new.warning) == (Verdict.WARN, warning_key("expired", new_expiry))  # never unwarned


def test_kubernetes_uses_the_creation_timestamp_and_needs_no_created_at_label() -> None:
    tags = {k: v for k, v in GOOD.items() if k != "created_at"}
    r = Resource("k8s:pr-42/namespace/pr-42", "k8s:namespace", tags, api_created_at=NOW - timedelta(days=8),
                 clock_from_api=True, namespace="pr-42")  # fmt: skip
    decision = decide(r, P, History(), NOW)
    assert (decision.verdict, decision.warning) == (Verdict.WARN, warning_key("expired", NOW + timedelta(days=-1)))


def test_an_api_creation_time_later_than_the_tag_is_reported_and_the_tag_still_used() -> None:
    r = res(api_created_at=datetime(2026, 11, 20, tzinfo=UTC))
    decision = decide(r, P, History(), NOW)
    assert decision.expires_at == EXPIRES
    assert (
        decision.mismatch
        == "the API reports creation at 2026-11-20T00:00:00Z, 9 days after the created_at tag; the tag is used"
    )


# -- the safety property --------------------------------------------------------------------------
values = st.one_of(st.sampled_from(["", "true", "TRUE", "false", "prod", "Prod", "dev", "restricted", "internal",
                                    "7d", "48h", "31d", "x@y.io", "2026-11-01T00:00:00Z", "garbage"]),
                   st.text(max_size=12))  # fmt: skip
keys = st.sampled_from(["environment", "Environment", "owner", "project", "cost-center", "ttl", "created_at",
                        "auto-teardown", "data-class", "critical"])  # fmt: skip


@settings(max_examples=600)
@given(
    st.dictionaries(keys, values, max_size=10),
    st.booleans(),
    st.integers(-2000, 2000),
    st.lists(st.integers(-3000, 0), max_size=3),
    st.floats(0, 60),
    st.booleans(),
)
def test_nothing_protected_invalid_whitelisted_or_unwarned_is_ever_deleted(
    raw: dict[str, str], base_good: bool, now_hours: int, warned_hours: list[int], extension: float, whitelisted: bool
) -> None:
    tags = {**(GOOD if base_good else {}), **raw}
    now = NOW + timedelta(hours=now_hours)
    policy = Policy(whitelist=Whitelist(tags=(("critical", "true"),)) if whitelisted else Whitelist())
    first = decide(res_with(tags), policy, History(), now)
    expires = first.expires_at or EXPIRES
    history = History(
        warnings={
            warning_key(["48h", "24h", "expired"][i % 3], expires): now + timedelta(hours=h)
            for i, h in enumerate(warned_hours)
        },
        extension_days=extension,
    )
    decision = decide(res_with(tags), policy, history, now)
    if decision.verdict is not Verdict.DELETE:
        return
    lowered = {k.lower(): v.strip() for k, v in reversed(list(tags.items()))}
    assert lowered.get("environment", "").lower() in {"dev", "staging", "sandbox", "demo"}
    assert lowered.get("data-class", "").lower() in {"public", "internal", "confidential"}
    assert lowered.get("auto-teardown", "").lower() == "true"
    assert not (whitelisted and lowered.get("critical") == "true")
    assert decision.violations == ()
    assert decision.expires_at is not None and now >= decision.expires_at
    relevant = [
        at
        for key, at in history.warnings.items()
        if key.endswith("@" + decision.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    ]
    assert relevant and min(relevant) <= now - policy.notice  # warned at least the notice before


def res_with(tags: dict[str, str]) -> Resource:
    return Resource(ARN, "ec2:instance", tags)


def test_the_property_above_really_reaches_deletions() -> None:
    """Guards against a vacuous property: the generated cases include every verdict."""
    from hypothesis import find

    for wanted in (Verdict.DELETE, Verdict.WARN, Verdict.KEEP, Verdict.EXPIRED_WAITING, Verdict.ALIVE):
        find(
            st.tuples(st.integers(-2000, 2000), st.lists(st.integers(-3000, 0), max_size=2)),
            lambda case, wanted=wanted: _verdict_for(*case) is wanted,
        )


def _verdict_for(now_hours: int, warned_hours: list[int]) -> Verdict:
    now = NOW + timedelta(hours=now_hours)
    first = decide(res(), P, History(), now)
    expires = first.expires_at or EXPIRES
    history = History(
        warnings={
            warning_key(["expired", "24h"][i % 2], expires): now + timedelta(hours=h)
            for i, h in enumerate(warned_hours)
        }
    )
    return decide(res({"environment": "prod"}) if now_hours > 1900 else res(), P, history, now).verdict
