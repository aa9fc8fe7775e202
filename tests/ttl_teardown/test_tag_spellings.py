# ruff: noqa: RUF001 - the look-alike characters are the point of these tests
"""A key spelt twice (or as a label and an annotation) and digits that are not [0-9]: the
protective reading always wins, disagreements are tag violations, and the property says so."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobs.ttl_teardown.rules import History, Policy, Resource, Verdict, Whitelist, decide, parse_ttl, warning_key
from tests.ttl_teardown.test_rules import ARN, EXPIRES, GOOD, NOW

WARNED = History(warnings={warning_key("expired", EXPIRES): NOW - timedelta(days=2)})  # due for deletion at NOW


def decided(tags: dict[str, str], policy: Policy | None = None) -> tuple[Verdict, str, tuple[str, ...]]:
    decision = decide(Resource(ARN, "ec2:instance", {**GOOD, **tags}), policy or Policy(), WARNED, NOW)
    return decision.verdict, decision.reason, decision.violations


def test_the_good_resource_these_tests_start_from_is_due_for_deletion() -> None:
    assert decided({})[0] is Verdict.DELETE


@pytest.mark.parametrize(
    "spelling",
    ["Environment", "ENVIRONMENT", " environment", "environment\t", "Environment\u200b", "ｅｎｖｉｒｏｎｍｅｎｔ"],
)
def test_prod_in_any_spelling_of_environment_wins_and_the_disagreement_is_a_violation(spelling: str) -> None:
    verdict, reason, violations = decided({spelling: "prod"})  # GOOD says environment=dev
    assert (verdict, reason) == (Verdict.KEEP, "environment=prod")
    assert violations == (f"conflicting spellings of environment: 'environment'='dev', {spelling!r}='prod'",)


@pytest.mark.parametrize(("spelling", "value"), [("Data-Class", "restricted"), ("data_class", "RESTRICTED")])
def test_restricted_in_any_spelling_of_data_class_wins(spelling: str, value: str) -> None:
    verdict, reason, violations = decided({spelling: value})
    assert (verdict, reason) == (Verdict.KEEP, "data-class=restricted")
    assert len(violations) == 1 and spelling in violations[0] and "'data-class'='internal'" in violations[0]


@pytest.mark.parametrize("value", ["false", "", "yes", "ｔｒｕｅ"])
def test_an_auto_teardown_spelling_saying_anything_but_true_keeps_the_resource(value: str) -> None:
    verdict, _, violations = decided({"Auto-Teardown": value})
    assert verdict is Verdict.KEEP
    assert any("conflicting spellings of auto-teardown" in v for v in violations)


def test_spellings_that_agree_are_no_violation() -> None:
    assert decided({"Environment": "DEV", " TTL ": "7D", "Owner": "dana@example.com"})[0] is Verdict.DELETE


def test_a_ttl_extension_shown_in_one_spelling_is_no_disagreement() -> None:
    assert decided({"TTL": "7d+14d"})[0] is Verdict.DELETE  # only the base counts; the extension is in the state DB


def test_two_ttls_that_disagree_keep_the_resource() -> None:
    verdict, _, violations = decided({"TTL": "1d"})
    assert verdict is Verdict.KEEP and violations == ("conflicting spellings of ttl: 'ttl'='7d', 'TTL'='1d'",)


@pytest.mark.parametrize(("key", "value"), [("critical", "TRUE"), ("Critical", "true"), (" CRITICAL ", "True")])
def test_whitelist_tags_match_any_spelling_and_case(key: str, value: str) -> None:
    policy = Policy(whitelist=Whitelist(tags=(("critical", "true"),)))
    verdict, reason, _ = decided({"owner-team": "x", key: value}, policy)
    assert (verdict, reason) == (Verdict.KEEP, "whitelisted by tag critical=true")


def test_a_whitelist_tag_matches_when_only_the_second_spelling_says_so() -> None:
    policy = Policy(whitelist=Whitelist(tags=(("Critical", "TRUE"),)))
    assert decided({"critical": "false", "CRITICAL": "true"}, policy)[:2] == (
        Verdict.KEEP,
        "whitelisted by tag Critical=TRUE",
    )


def test_a_tag_without_a_value_is_an_empty_tag() -> None:
    verdict, _, violations = decided({"owner": None})  # type: ignore[dict-item]
    assert verdict is Verdict.KEEP and "missing tag owner" in violations


# -- item 2: digits are [0-9] ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["٢d", "２d", "7d+١٤d", "٤٨h", "७d", "7d+１4d"])
def test_a_ttl_with_digits_other_than_ascii_is_invalid(text: str) -> None:
    assert parse_ttl(text, 30) == (None, f"ttl {text!r} is not <number>d or <number>h")
    verdict, _, violations = decided({"ttl": text})
    assert verdict is Verdict.KEEP and f"ttl {text!r} is not <number>d or <number>h" in violations


@pytest.mark.parametrize("text", ["２０２６-11-10T09:00:00Z", "2026-11-1٠T09:00:00Z", "2026-11-10T09:00:00+0٠:00"])
def test_a_created_at_with_digits_other_than_ascii_is_invalid(text: str) -> None:
    verdict, _, violations = decided({"created_at": text})
    assert verdict is Verdict.KEEP and f"created_at {text!r} is not an ISO 8601 instant" in violations


# -- the property ---------------------------------------------------------------------------------
RULE_KEYS = ["environment", "owner", "project", "cost-center", "created_at", "auto-teardown", "data-class", "ttl"]
PADDING = st.sampled_from(["", " ", "\t", "\u00a0", "\u3000", "  "])
VALUES = st.one_of(
    st.sampled_from(
        ["", "prod", "PROD", " Prod ", "ｐｒｏｄ", "dev", "DEV", "restricted", "Restricted", "internal", "true", "TRUE",
         "false", "ｔｒｕｅ", "7d", "1d", "7d+14d", "٢d", "２d", "48h", "2026-11-01T00:00:00Z", "２０２６-11-01T00:00:00Z",
         "dana@example.com", "sam@example.com", "x" * 5000]
    ),
    st.none(),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def spellings(draw: st.DrawFn, key: str) -> str:
    """`key` as people and tools write it: case, separators, padding, full-width, zero-width."""
    text = "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in key)
    text = re.sub(r"[-_]", draw(st.sampled_from(["-", "_", " ", ""])), text)
    if draw(st.integers(0, 5)) == 0:
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "\u200b" + text[at:]
    return draw(PADDING) + text + draw(PADDING)


def key_of(written: str) -> str:
    """The oracle's own reading of a key (not the code's): NFKC, no format characters, no separators."""
    text = "".join(c for c in unicodedata.normalize("NFKC", written) if unicodedata.category(c) != "Cf")
    return re.sub(r"[\s_.\-]", "", text).casefold()


def said(tags: dict[str, str | None], key: str) -> list[str]:
    return [(v or "").strip() for k, v in tags.items() if key_of(k) == key_of(key)]


def loosely(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold().strip()


extra_tags = st.lists(st.tuples(st.sampled_from([*RULE_KEYS, "critical"]).flatmap(spellings), VALUES), max_size=12).map(
    dict
)


@settings(max_examples=400, deadline=None)
@given(extra_tags, st.booleans(), st.integers(-400, 400), st.sampled_from(["critical", "Critical ", "CRITICAL"]))
@example({"Environment": "prod"}, True, 0, "critical")
def test_no_spelling_of_a_protective_tag_is_ever_outvoted(
    extra: dict[str, str | None], base_good: bool, now_hours: int, whitelist_key: str
) -> None:
    tags = {**(GOOD if base_good else {}), **extra}
    now = NOW + timedelta(hours=now_hours)
    policy = Policy(whitelist=Whitelist(tags=((whitelist_key, "TRUE"),)))
    first = decide(Resource(ARN, "ec2:instance", tags), policy, History(), now)  # type: ignore[arg-type]
    expires = first.expires_at or EXPIRES
    history = History(warnings={warning_key("expired", expires): now - timedelta(days=2)})
    decision = decide(Resource(ARN, "ec2:instance", tags), policy, history, now)  # type: ignore[arg-type]
    if decision.verdict is not Verdict.DELETE:
        return
    assert "prod" not in {loosely(v) for v in said(tags, "environment")}
    assert "restricted" not in {loosely(v) for v in said(tags, "data-class")}
    assert said(tags, "auto-teardown") and all(v.lower() == "true" for v in said(tags, "auto-teardown"))
    assert "true" not in {loosely(v) for v in said(tags, "critical")}
    for key in RULE_KEYS:
        meanings = {v.lower().split("+")[0].strip() if key == "ttl" else v.lower() for v in said(tags, key)}
        assert len(meanings) == 1, (key, meanings)
    assert all(re.fullmatch(r"[0-9]+[dh](\+[0-9]+d)*", v.lower()) for v in said(tags, "ttl"))
    assert all(v.isascii() for v in said(tags, "created_at"))


def test_the_property_above_really_reaches_deletions_with_extra_spellings() -> None:
    """Guards against a vacuous property: duplicate spellings that agree are still deleted."""
    from hypothesis import find

    found = find(extra_tags, lambda extra: len(extra) >= 2 and decided(extra)[0] is Verdict.DELETE)
    assert len(found) >= 2
