# ruff: noqa: RUF001 - French typography (its apostrophe and guillemets) is what these lines are about
"""The renderer's parts on their own: text fitting, chart gaps, the fast subset encoding, fonts."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.colors import black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from jobs.usage_report import fonts
from jobs.usage_report.charts import Axis, Curve, gaps, nice_ticks, runs
from jobs.usage_report.pdf_text import ELLIPSIS, fit, width, wrap, wrap_code
from jobs.usage_report.render import render
from tests.usage_report import pdfs
from tests.usage_report.reports import report

FACES = fonts.register(fonts.find())
PLAIN = TTFont("plain-dejavu", fonts.find().regular, asciiReadable=True)  # reportlab's own, unregistered
TEXT = st.lists(st.sampled_from([*list("abcdefghij ABC éàœ—-/.,()"), "WWW", "i", "\u202f", "  "]), max_size=60).map(
    "".join
)


@settings(max_examples=200)
@given(text=TEXT, room=st.floats(min_value=4, max_value=400), lines=st.integers(min_value=0, max_value=3))
def test_wrapped_lines_fit_and_keep_every_character_unless_cut(text: str, room: float, lines: int) -> None:
    wrapped = wrap(text, FACES.regular, 8, room, lines)
    for line in wrapped:
        assert width(line, FACES.regular, 8) <= room or len(line) == 1
    if lines and len(wrapped) == lines and wrapped[-1].endswith(ELLIPSIS):
        return  # cut: what is kept is a prefix
    assert "".join(wrapped).replace(" ", "") == text.replace(" ", "").replace("\u202f", "") or "\u202f" in text
    assert not lines or len(wrapped) <= lines


@settings(max_examples=200)
@given(text=TEXT, room=st.floats(min_value=12, max_value=400))
def test_a_fitted_text_is_the_text_or_a_prefix_and_an_ellipsis_within_the_room(text: str, room: float) -> None:
    fitted = fit(text, FACES.regular, 9, room)
    assert fitted == text or (fitted.endswith(ELLIPSIS) and text.startswith(fitted[:-1].rstrip()))
    assert fitted == text or width(fitted, FACES.regular, 9) <= room


def test_a_long_query_wraps_at_spaces_commas_or_brackets_and_loses_nothing() -> None:
    query = 'histogram_quantile(0.95, sum by (tenant, le) (increase(gateway_request_duration_seconds_bucket{code=~"[45].."}[604800s])))'
    lines = wrap_code(query * 2, FACES.mono, 7, 200)
    assert len(lines) > 2
    assert all(width(line, FACES.mono, 7) <= 200 for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == (query * 2).replace(" ", "")


T0 = datetime(2026, 11, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_missing_step_breaks_the_line_and_is_shaded_not_drawn_as_zero() -> None:
    points = tuple((T0 + k * HOUR, 5.0) for k in range(1, 25) if k not in (7, 8, 9))
    assert [len(run) for run in runs(points, HOUR)] == [6, 15]
    axis = Axis(T0, T0 + 24 * HOUR, HOUR, ())
    assert gaps([Curve("calls", points, black)], axis) == [(T0 + 6 * HOUR, T0 + 10 * HOUR)]
    assert gaps([Curve("calls", (), black)], axis) == [(T0, T0 + 24 * HOUR)]  # no data at all


@given(missing=st.sets(st.integers(min_value=1, max_value=24)))
def test_no_run_spans_a_missing_step(missing: set[int]) -> None:
    points = tuple((T0 + k * HOUR, float(k)) for k in range(1, 25) if k not in missing)
    for run in runs(points, HOUR):
        hours = [int((t - T0) / HOUR) for t, _ in run]
        assert hours == list(range(hours[0], hours[-1] + 1))
        assert not missing & set(hours)
    assert sum(len(run) for run in runs(points, HOUR)) == len(points)


@given(top=st.one_of(st.floats(min_value=0, max_value=1e12), st.sampled_from([float("nan"), float("inf"), -1.0])))
def test_chart_ticks_start_at_zero_and_reach_the_top(top: float) -> None:
    ticks = nice_ticks(top)
    assert ticks[0] == 0 and 2 <= len(ticks) <= 12
    assert ticks[-1] >= (top if 1e-9 < top < float("inf") else 1.0) * 0.999999


@settings(max_examples=100)
@given(
    strings=st.lists(st.text(st.sampled_from([*list("abc é▲€\xa0\u202f"), "ש", "中", "\x01"]), max_size=20), max_size=8)
)
def test_the_fast_encoding_gives_what_reportlabs_own_loop_gives(strings: list[str]) -> None:
    """Same characters, same order, in two documents: the shortcut's codes are the loop's codes."""
    fast = pdfmetrics.getFont(FACES.regular)
    plain = PLAIN
    fast_doc, plain_doc = Canvas(io.BytesIO())._doc, Canvas(io.BytesIO())._doc
    for font, doc in ((fast, fast_doc), (plain, plain_doc)):
        font.splitString(fonts.SEED, doc)
    for text in strings:
        assert fast.splitString(text, fast_doc) == plain.splitString(text, plain_doc), text


def test_the_font_folder_comes_from_the_setting_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = Path(fonts.find().regular).parent
    if not fonts.find().dejavu:
        pytest.skip("DejaVu not installed (fonts-dejavu-core)")
    for folder in ("setting", "environment"):
        (tmp_path / folder).mkdir()
        for name in fonts.DEJAVU:
            shutil.copy(system / name, tmp_path / folder / name)
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "environment"))
    assert Path(fonts.find().regular).parent == tmp_path / "environment"
    assert Path(fonts.find(str(tmp_path / "setting")).bold).parent == tmp_path / "setting"
    assert fonts.find(str(tmp_path / "nowhere")).regular.startswith(str(tmp_path / "environment"))


@pdfs.needs_poppler
def test_without_dejavu_the_report_renders_with_the_bundled_vera_and_drawn_triangles() -> None:
    vera = fonts.bundled()
    assert not vera.dejavu and fonts.register(vera).triangles is False
    pdf = render(report("dupont", "Société Générale d’Électricité", "fr"), vera)
    extracted = pdfs.text(pdf)
    assert "Société Générale d’Électricité" in extracted
    assert "12,0 %" in extracted and "1 234 567" in extracted
    assert "▲" not in extracted  # drawn as a shape, not a glyph Vera lacks
    assert pdfs.info(pdf)["Pages"] == "4"
    assert render(report("dupont", "Société Générale d’Électricité", "fr"), vera) == pdf
