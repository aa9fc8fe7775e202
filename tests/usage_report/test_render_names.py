"""Names are drawn literally: a tenant or API called `<font size=90>` or `<b>Co</b> & fils` is
those characters on the page, changes no layout, and non-ASCII and right-to-left names survive."""

from __future__ import annotations

import functools
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.usage_report.render import render
from tests.usage_report import pdfs
from tests.usage_report.reports import report

pytestmark = pdfs.needs_poppler

MARKUP = ["<font size=90>", "</font>", "<b>", "</b>", "<br/>", "&amp;", "&lt;", "<para>", "<img src=x/>", "&", "<", ">"]


def _layout(pdf: bytes) -> list[tuple[int, str, float, float]]:
    """Where the report's own words sit (those of the labels, not of the names) on the pages a
    name appears on without being a table row (a long API name may take a row two lines)."""
    boxes, _ = pdfs.words(pdf)
    labels = {"Key", "figures", "Quota", "Calls", "Errors", "Top", "How", "computed", "Breakdown"}
    first_table = next(w for w in boxes if w.page == 3 and w.text == "Top")
    return [
        (w.page, w.text, round(w.x_min, 1), round(w.y_min, 1))
        for w in boxes
        if w.text in labels and (w.page < 3 or w is first_table)
    ]


def test_markup_in_names_is_text_and_moves_nothing() -> None:
    plain = render(report(name="Plain name", api_names=["plain-api"]))
    name = "<font size=90>Big</font> & <b>Co</b>"
    hostile = render(report(name=name, api_names=["<br/>api&amp;<b>x</b>"]))
    extracted = pdfs.text(hostile)
    assert name in extracted.split("Key figures")[0]  # the page's head (the footer has it too)
    assert "<br/>api&amp;<b>x</b>" in extracted
    boxes, _ = pdfs.words(hostile)
    drawn = [w for w in boxes if w.page == 1 and w.text in ("<font", "size=90>Big</font>", "<b>Co</b>")]
    assert drawn and max(w.y_max - w.y_min for w in drawn) < 26  # 20 points, not 90
    assert pdfs.info(hostile)["Pages"] == pdfs.info(plain)["Pages"]
    assert _layout(hostile) == _layout(plain)


def test_accented_and_right_to_left_names_survive_extraction() -> None:
    pdf = render(report(name="Ünïcødé Ñandú Œuvre", api_names=["שלום-api", "مرحبا", "東京"]))
    extracted = pdfs.text(pdf)
    assert "Ünïcødé Ñandú Œuvre" in extracted
    assert "שלום" in extracted  # drawn in visual order, read back in logical order
    assert "مرحبا" in extracted


def test_control_characters_and_empty_names_are_blanked_not_drawn() -> None:
    pdf = render(report(name="Line\nbreak\tand\x00nul", api_names=["", "  ", "a\u200bb"]))
    extracted = pdfs.text(pdf)
    assert "Line break and nul" in extracted
    assert "(unnamed)" in extracted


@functools.cache
def _baseline() -> list[tuple[int, str, float, float]]:
    return _layout(render(report(name="Plain name", api_names=["plain-api"])))


#: letters a name may have (DejaVu has them all), markup, spaces of every kind, controls
ALPHABET = st.sampled_from([*list("aZé9 _-./:;'\"=&<>ñßœÆ"), "\u202f", "\xa0", "\t", "\n", "\x00", "שׁ", "ب"])
NAMES = st.one_of(
    st.sampled_from(MARKUP),
    st.lists(st.one_of(ALPHABET, st.sampled_from(MARKUP)), min_size=1, max_size=5).map("".join),
)


def _visible(name: str) -> str:
    """The name as it should read back: whitespace and controls collapsed."""
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in name)
    return " ".join(cleaned.split())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant=NAMES, api=NAMES)
def test_any_name_reads_back_as_itself_and_keeps_the_layout(tenant: str, api: str) -> None:
    pdf = render(report(name=tenant, api_names=[api]))
    assert pdfs.info(pdf)["Pages"] == "4"
    assert _layout(pdf) == _baseline()
    extracted = pdfs.flat(pdfs.text(pdf))
    for name in (tenant, api):
        visible = _visible(name)
        if visible and not any(c in visible for c in "שׁب"):  # right-to-left runs come back reordered
            assert pdfs.flat(visible) in extracted, name
