"""Tenant ids are untrusted: any id is one safe path segment, and two ids never share one."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jobs.core.errors import PermanentError
from jobs.usage_report.delivery.paths import MAX_SEGMENT, segment

#: ids built from what breaks paths: separators, dots, NUL, escapes, non-ASCII, length
PIECES = st.sampled_from(
    ["..", ".", "/", "\\", "\x00", "%", "%2F", "~", " ", "\n", "é", "😀", "a", "Z", "-", "_", "x" * 150]
)
IDS = st.one_of(st.text(min_size=1), st.lists(PIECES, min_size=1, max_size=12).map("".join))


@given(IDS)
@example("..")
@example(".")
@example("../../etc/passwd")
@example("/")
@example("\x00")
@example("a" * 5000)
@example(".hidden")
def test_any_tenant_id_is_one_printable_ascii_segment_that_goes_nowhere_else(tenant_id: str) -> None:
    found = segment(tenant_id)
    assert found and len(found) <= MAX_SEGMENT
    assert all(33 <= ord(c) < 127 for c in found), found
    assert "/" not in found and "\\" not in found
    assert found not in (".", "..") and not found.startswith(".")


@given(IDS, IDS)
@example("a/b", "a%2Fb")
@example("x" * 300, "x" * 301)
@example("a~b", "a%7Eb")
def test_two_different_tenant_ids_never_share_a_segment(one: str, other: str) -> None:
    if one != other:
        assert segment(one) != segment(other)


@given(st.text(min_size=MAX_SEGMENT + 1, max_size=MAX_SEGMENT + 400))
@example("y" * 300)
def test_an_id_spelled_as_another_s_shortened_segment_does_not_take_its_place(long_id: str) -> None:
    """The one place a segment is not the id spelled safely is a long id's cut + hash: an id
    written as that very segment (it is short and safe-looking) must land elsewhere."""
    shortened = segment(long_id)
    assert segment(shortened) != shortened


def test_a_safe_id_is_kept_as_it_is_and_others_read_back() -> None:
    assert segment("acme-prod_2.eu") == "acme-prod_2.eu"
    assert segment("../etc") == "%2E.%2Fetc"
    assert segment("Société Générale") == "Soci%C3%A9t%C3%A9%20G%C3%A9n%C3%A9rale"


def test_an_empty_tenant_id_is_refused_by_name() -> None:
    with pytest.raises(PermanentError, match="tenant id is empty"):
        segment("")
