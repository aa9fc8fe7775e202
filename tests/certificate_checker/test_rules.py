"""The pure rules: tiers, problems, severity and hostname matching (tables and properties)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.rules import (
    Thresholds,
    days_left,
    effective_expiry,
    hostname_matches,
    judge,
    problems,
    tier,
)
from jobs.core.model import Severity
from tests.certificate_checker.conftest import NOW

T = Thresholds()
LEAF = CertInfo(
    subject="CN=api.example.test",
    issuer="CN=issuing CA",
    serial="1",
    dns_names=("api.example.test",),
    ip_addresses=(),
    not_before=NOW - timedelta(days=30),
    not_after=NOW + timedelta(days=100),
    fingerprint_sha256="aa",
    key_type="EC",
    key_bits=256,
    signature_hash="sha256",
    self_signed=False,
    is_ca=False,
)
INTER = replace(LEAF, subject="CN=issuing CA", issuer="CN=root", fingerprint_sha256="bb", is_ca=True, dns_names=())
ROOT = replace(INTER, subject="CN=root", issuer="CN=root", fingerprint_sha256="cc", self_signed=True)


def obs(*chain: CertInfo, **kw: object) -> Observation:
    return Observation("endpoint:x:443", "endpoint", tuple(chain), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "days", "severity"),
    [
        (timedelta(days=61), 61, Severity.OK),
        (timedelta(days=60), 60, Severity.OK),
        (timedelta(days=59, hours=23), 59, Severity.INFO),
        (timedelta(days=30), 30, Severity.INFO),
        (timedelta(days=29, hours=1), 29, Severity.WARNING),
        (timedelta(days=7), 7, Severity.WARNING),
        (timedelta(days=6, hours=23), 6, Severity.CRITICAL),
        (timedelta(hours=1), 0, Severity.CRITICAL),
        (timedelta(seconds=-1), -1, Severity.CRITICAL),
        (timedelta(days=-3), -3, Severity.CRITICAL),
    ],
)
def test_days_left_floors_and_tiers(delta: timedelta, days: int, severity: Severity) -> None:
    assert days_left(NOW + delta, NOW) == days
    assert tier(days, T) is severity


@pytest.mark.parametrize(
    ("host", "names", "ips", "matches"),
    [
        ("api.example.test", ["api.example.test"], [], True),
        ("API.Example.Test.", ["api.example.test"], [], True),
        ("a.example.test", ["*.example.test"], [], True),
        ("a.b.example.test", ["*.example.test"], [], False),  # one label only
        ("example.test", ["*.example.test"], [], False),
        ("x.test", ["*.test"], [], False),  # no wildcard over a public suffix-like single label
        ("foo.example.test", ["f*.example.test"], [], False),  # no partial-label wildcards
        ("api.example.test", [], [], False),  # no CN fallback
        ("127.0.0.1", ["127.0.0.1"], [], False),  # an address matches IP SANs only
        ("127.0.0.1", [], ["127.0.0.1"], True),
        ("::1", [], ["0:0:0:0:0:0:0:1"], True),
        ("bücher.example.test", ["xn--bcher-kva.example.test"], [], True),
    ],
)
def test_hostname_matching_follows_rfc_6125(host: str, names: list[str], ips: list[str], matches: bool) -> None:
    assert hostname_matches(host, names, ips) is matches


def test_each_problem_is_found_and_sets_its_severity() -> None:
    cases = {
        "expired": (obs(replace(LEAF, not_after=NOW - timedelta(days=1))), Severity.CRITICAL),
        "not_yet_valid": (obs(replace(LEAF, not_before=NOW + timedelta(days=1))), Severity.CRITICAL),
        "hostname_mismatch": (obs(LEAF, hostname="www.example.test"), Severity.CRITICAL),
        "untrusted": (obs(LEAF, trusted=False, trust_error="unknown issuer"), Severity.CRITICAL),
        "self_signed": (obs(replace(LEAF, self_signed=True)), Severity.WARNING),
        "weak_key": (obs(replace(LEAF, key_type="RSA", key_bits=1024)), Severity.WARNING),
        "sha1_signature": (obs(replace(LEAF, signature_hash="sha1")), Severity.WARNING),
        "chain_expiring": (obs(LEAF, replace(INTER, not_after=NOW + timedelta(days=20))), Severity.WARNING),
    }
    for problem, (observation, severity) in cases.items():
        finding = judge(observation, NOW, T)
        assert finding.details["problems"] == [problem], problem
        assert finding.severity is severity, problem
    assert judge(obs(LEAF, hostname="api.example.test", trusted=True), NOW, T).details["problems"] == []


def test_md5_counts_as_a_weak_signature_and_ec_p256_is_not_weak() -> None:
    assert problems(obs(replace(LEAF, signature_hash="md5")), NOW, T) == ["sha1_signature"]
    assert problems(obs(replace(LEAF, key_type="EC", key_bits=256)), NOW, T) == []
    assert problems(obs(replace(LEAF, key_type="EC", key_bits=192)), NOW, T) == ["weak_key"]


def test_an_endpoints_expiry_is_the_earliest_in_its_chain_but_not_the_root() -> None:
    short = replace(INTER, not_after=NOW + timedelta(days=10))
    old_root = replace(ROOT, not_after=NOW + timedelta(days=1))  # a presented root is not relied on
    finding = judge(obs(LEAF, short, old_root), NOW, T)
    assert finding.details["days_left"] == 10
    assert finding.severity is Severity.WARNING
    assert effective_expiry([LEAF, old_root]) == LEAF.not_after


def test_message_names_days_and_problems() -> None:
    finding = judge(obs(replace(LEAF, not_after=NOW + timedelta(days=5)), hostname="www.example.test"), NOW, T)
    assert finding.message == "certificate expires in 5 days; hostname mismatch"
    expired = judge(obs(replace(LEAF, not_after=NOW - timedelta(days=1, hours=2))), NOW, T)
    assert expired.message == "certificate expired 2 days ago"
    assert expired.details["days_left"] == -2


@given(st.integers(-30, 400), st.integers(0, 30), st.integers(0, 60), st.integers(0, 120))
def test_severity_never_improves_as_time_passes(offset: int, c: int, w: int, i: int) -> None:
    """From notBefore on (before it, `not_yet_valid` rightly clears when the day comes)."""
    thresholds = Thresholds(min(c, w, i), sorted([c, w, i])[1], max(c, w, i))
    earlier = judge(obs(LEAF), NOW + timedelta(days=offset), thresholds).severity
    later = judge(obs(LEAF), NOW + timedelta(days=offset + 1), thresholds).severity
    assert later.rank >= earlier.rank


def test_a_certificate_is_valid_through_its_not_after_instant() -> None:
    at_end = judge(obs(LEAF), LEAF.not_after, T)
    assert (at_end.details["days_left"], at_end.details["problems"]) == (0, [])
    assert judge(obs(LEAF), LEAF.not_after + timedelta(seconds=1), T).details["problems"] == ["expired"]


@given(st.integers(0, 10_000))
def test_an_expired_certificate_is_always_critical(days_after: int) -> None:
    when = LEAF.not_after + timedelta(days=days_after, seconds=1)
    finding = judge(obs(LEAF), when, Thresholds(0, 0, 0))
    assert finding.severity is Severity.CRITICAL
    assert "expired" in finding.details["problems"] and finding.details["days_left"] < 0


labels = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@given(labels, labels, labels, labels)
def test_a_wildcard_matches_exactly_one_leftmost_label(a: str, b: str, c: str, d: str) -> None:
    wildcard = [f"*.{c}.{d}"]
    assert hostname_matches(f"{a}.{c}.{d}", wildcard, [])
    assert not hostname_matches(f"{a}.{b}.{c}.{d}", wildcard, [])
    assert not hostname_matches(f"{c}.{d}", wildcard, [])


def test_a_stored_root_is_not_a_self_signed_problem_but_a_served_one_is() -> None:
    root_leaf = replace(ROOT, dns_names=("api.example.test",))
    assert problems(obs(root_leaf), NOW, T) == []
    assert problems(obs(root_leaf, hostname="api.example.test"), NOW, T) == ["self_signed"]
    assert problems(obs(replace(LEAF, self_signed=True)), NOW, T) == ["self_signed"]


def test_only_intermediates_on_the_clients_path_count_and_the_one_expiring_first_is_named() -> None:
    old = replace(INTER, subject="CN=old CA", not_after=NOW - timedelta(days=3))
    unrelated = replace(INTER, subject="CN=unrelated", fingerprint_sha256="dd", not_after=NOW - timedelta(days=900))
    finding = judge(obs(LEAF, unrelated, old, ROOT, relied_on=(2,)), NOW, T)
    assert finding.message == "intermediate CN=old CA expired 3 days ago"
    assert (finding.details["days_left"], finding.details["expires_first"]) == (-3, "CN=old CA")
    assert finding.details["problems"] == ["chain_expiring"] and finding.severity is Severity.CRITICAL
    assert judge(obs(LEAF, unrelated, relied_on=()), NOW, T).details["problems"] == []


@pytest.mark.parametrize(("version", "legacy"), [("TLSv1", True), ("TLSv1.1", True), ("SSLv3", True),
                                                 ("TLSv1.2", False), ("TLSv1.3", False), (None, False)])  # fmt: skip
def test_protocols_below_tls_1_2_are_legacy_tls(version: str | None, legacy: bool) -> None:
    assert ("legacy_tls" in problems(obs(LEAF, tls_version=version), NOW, T)) is legacy
