"""The license policy on SPDX expressions: exact verdicts, and every spelling of a denied id."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from license_expression import ExpressionError, get_spdx_licensing

from jobs.repo_scanner.licensing import Verdict, judge, matches
from jobs.repo_scanner.settings import LicenseScannerSettings

DENY = LicenseScannerSettings().deny  # GPL-*, AGPL-*, LGPL-*, SSPL-*


@pytest.mark.parametrize(
    ("expression", "verdict", "denied"),
    [
        ("MIT", Verdict.ALLOWED, ()),
        ("GPL-3.0-only", Verdict.DENIED, ("GPL-3.0-only",)),
        ("MIT OR GPL-3.0", Verdict.ALLOWED, ()),  # the user takes MIT
        ("MIT AND GPL-3.0", Verdict.DENIED, ("GPL-3.0-only",)),  # both apply
        ("(Apache-2.0 OR MIT) AND LGPL-2.1-or-later", Verdict.DENIED, ("LGPL-2.1-or-later",)),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", Verdict.DENIED, ("GPL-2.0-or-later",)),
        ("AGPL-3.0-or-later OR SSPL-1.0", Verdict.DENIED, ("AGPL-3.0-or-later", "SSPL-1.0")),
        ("gpl-3.0+", Verdict.DENIED, ("GPL-3.0-or-later",)),
        ("MPL-2.0", Verdict.ALLOWED, ()),
        ("UNLICENSED", Verdict.UNKNOWN, ()),
        ("LicenseRef-Proprietary", Verdict.UNKNOWN, ()),
        ("SEE LICENSE IN LICENSE.txt", Verdict.UNKNOWN, ()),
        ("MIT/X11", Verdict.UNKNOWN, ()),  # not an expression at all
        ("", Verdict.UNKNOWN, ()),
        ("MIT OR LicenseRef-Internal", Verdict.ALLOWED, ()),
        ("GPL-3.0-only OR LicenseRef-Internal", Verdict.UNKNOWN, ()),  # the better choice is still unknown
    ],
)
def test_verdicts_under_the_default_deny_list(expression: str, verdict: Verdict, denied: tuple[str, ...]) -> None:
    judged = judge(expression, DENY, [])
    assert (judged.verdict, judged.denied) == (verdict, denied)


def test_allow_wins_over_deny_for_that_license_only() -> None:
    assert judge("GPL-3.0-only", DENY, ["GPL-3.0"]).verdict is Verdict.ALLOWED
    assert judge("GPL-3.0-or-later", DENY, ["GPL-3.0"]).verdict is Verdict.ALLOWED  # GPL-3.0: all three forms
    assert judge("GPL-3.0-or-later", DENY, ["GPL-3.0-only"]).verdict is Verdict.DENIED
    assert judge("MIT AND GPL-2.0-only", DENY, ["GPL-3.0"]).verdict is Verdict.DENIED
    assert judge("LicenseRef-Internal", DENY, ["licenseref-internal"]).verdict is Verdict.ALLOWED
    exception = "GPL-2.0-only WITH Classpath-exception-2.0"
    assert judge(exception, DENY, [exception]).verdict is Verdict.ALLOWED
    assert judge("GPL-2.0-only", DENY, [exception]).verdict is Verdict.DENIED


def test_a_star_matches_versions_and_forms_but_not_a_longer_family() -> None:
    assert matches("GPL-*", "GPL-2.0-only") and matches("GPL-*", "GPL-3.0-or-later")
    assert not matches("GPL-*", "LGPL-2.1-only") and not matches("GPL-*", "AGPL-3.0-only")
    assert matches(" gpl-3.0 ", "GPL-3.0-only") and not matches("GPL-3.0", "GPL-3.0-linking-exception")


_LICENSING = get_spdx_licensing()
DENIED_IDS = sorted(k for k in _LICENSING.known_symbols if k.startswith(("GPL-", "AGPL-", "LGPL-", "SSPL-")))
ALLOWED_IDS = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MPL-2.0", "0BSD"]
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", " \u00a0"[:1]])


@st.composite
def spelled(draw: st.DrawFn, identifier: str) -> str:
    """The id in random case, `+` for -or-later, padded and maybe parenthesised."""
    if identifier.endswith("-or-later") and draw(st.booleans()):
        identifier = identifier.removesuffix("-or-later") + "+"
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in identifier)
    text = f"{draw(SPACE)}{cased}{draw(SPACE)}"
    return f"({text})" if draw(st.booleans()) else text


@st.composite
def denied_expressions(draw: st.DrawFn) -> tuple[str, bool]:
    """(an expression with a denied id in some spelling, whether a choice of an allowed id exists)."""
    denied = draw(spelled(draw(st.sampled_from(DENIED_IDS))))
    allowed = draw(spelled(draw(st.sampled_from(ALLOWED_IDS))))
    shape = draw(st.sampled_from(["alone", "and", "or-denied", "with", "or-allowed"]))
    op = draw(st.sampled_from(["AND", "and", "And"]))
    if shape == "and":
        return f"{allowed} {op} {denied}", False
    if shape == "or-denied":
        other = draw(spelled(draw(st.sampled_from(DENIED_IDS))))
        return f"{denied} {draw(st.sampled_from(['OR', 'or']))} {other}", False
    if shape == "with":
        return f"{denied} {draw(st.sampled_from(['WITH', 'with']))} Classpath-exception-2.0", False
    if shape == "or-allowed":
        return f"{allowed} {draw(st.sampled_from(['OR', 'or']))} {denied}", True
    return denied, False


@settings(max_examples=150, deadline=None)
@given(denied_expressions())
def test_a_denied_id_in_any_spelling_the_parser_accepts_is_denied(case: tuple[str, bool]) -> None:
    expression, choice = case
    try:
        parsed = _LICENSING.parse(expression, validate=False, strict=False)
    except ExpressionError:
        assume(False)  # a spelling the parser refuses is unknown, not this property's case
    assert all(s.key in _LICENSING.known_symbols for s in _LICENSING.license_symbols(parsed, decompose=True))
    verdict = judge(expression, DENY, []).verdict
    assert verdict is (Verdict.ALLOWED if choice else Verdict.DENIED), expression


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DENIED_IDS).flatmap(spelled), st.data())
def test_an_allow_pattern_in_any_case_allows_that_id(expression: str, data: st.DataObject) -> None:
    key = _LICENSING.parse(expression).key
    pattern = "".join(c.swapcase() if data.draw(st.booleans()) else c for c in key)
    assert judge(expression, DENY, [f" {pattern} "]).verdict is Verdict.ALLOWED
