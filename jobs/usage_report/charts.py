"""Time charts drawn as vector paths on the report's canvas: lines over the period, gaps as gaps.

A step with no sample is not a zero: a line breaks there and the missing span is shaded, so a
reader sees "no data" rather than "no traffic". Drawn with the canvas's path operators, not
reportlab.graphics' Drawing and renderPDF: those wrap every shape in its own graphics state and
validate every attribute, 9 ms a chart here (measured), a whole report's budget for three.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reportlab.lib.colors import Color, HexColor

from jobs.usage_report.model import Series
from jobs.usage_report.pdf_page import Sheet
from jobs.usage_report.pdf_text import fit, width

GRID = HexColor("#e5e7eb")
AXIS = HexColor("#9ca3af")
LABEL = HexColor("#6b7280")
GAP = HexColor("#eef0f3")
TITLE = HexColor("#1f2933")


@dataclass(frozen=True)
class Curve:
    """One line of a chart: its legend, its points (in the chart's unit) and its colour."""

    label: str
    points: Series
    color: Color


@dataclass(frozen=True)
class Axis:
    """The period on x: its bounds, its step (a longer distance between samples is a gap) and the
    labelled ticks."""

    start: datetime
    end: datetime
    step: timedelta
    ticks: Sequence[tuple[datetime, str]]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round values (1, 2, 2.5 or 5 times a power of ten) up to at least `top`."""
    if not math.isfinite(top) or top <= 1e-9:  # nothing, or too little to scale: 0 to 1
        top = 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top * 0.999999:
        ticks.append(ticks[-1] + step)
    return ticks


def runs(points: Series, step: timedelta) -> list[list[tuple[datetime, float]]]:
    """The points split where two neighbours are more than one and a half steps apart."""
    found: list[list[tuple[datetime, float]]] = []
    limit = step * 1.5
    for point in points:
        if found and point[0] - found[-1][-1][0] <= limit:
            found[-1].append(point)
        else:
            found.append([point])
    return found


def gaps(curves: Sequence[Curve], axis: Axis) -> list[tuple[datetime, datetime]]:
    """Spans of the period where no curve has a sample (more than a step and a half of nothing)."""
    instants = sorted({t for curve in curves for t, _ in curve.points if axis.start <= t <= axis.end})
    edges = [axis.start, *instants, axis.end]  # a series may stamp a step by its start or its end
    limit = axis.step * 1.5
    spans = []
    for before, after in itertools.pairwise(edges):
        if after - before > limit:
            spans.append((before, after))
    return spans


def time_chart(
    sheet: Sheet,
    title: str,
    curves: Sequence[Curve],
    axis: Axis,
    value_label: Callable[[float], str],
    box: tuple[float, float, float, float],
    gap_label: str,
) -> None:
    """A titled line chart of `curves` over `axis`, drawn in `box` (x, y, width, height)."""
    faces = sheet.faces
    canvas = sheet.canvas
    values = [v for curve in curves for _, v in curve.points if math.isfinite(v)]
    ticks = nice_ticks(max(values, default=0.0))
    labels = [faces.clean(value_label(tick)) for tick in ticks]
    left = max(40.0, *(width(label, faces.regular, 7) + 6 for label in labels))  # the charts' x axes align
    plot = (box[0] + left, box[1] + 16.0, box[2] - left - 4, box[3] - 16.0 - 22)  # x, y, w, h
    x_of = _x_scale(axis, plot)
    y_of = _y_scale(ticks[-1], plot)
    spans = gaps(curves, axis)
    canvas.setFillColor(GAP)
    for start, end in spans:
        canvas.rect(x_of(start), plot[1], max(x_of(end) - x_of(start), 0.5), plot[3], stroke=0, fill=1)
    canvas.setLineWidth(0.5)
    canvas.setStrokeColor(GRID)
    canvas.lines([(plot[0], y_of(tick), plot[0] + plot[2], y_of(tick)) for tick in ticks])
    canvas.setStrokeColor(AXIS)
    canvas.lines([(x_of(instant), plot[1], x_of(instant), plot[1] - 3) for instant, _ in axis.ticks])
    canvas.line(plot[0], plot[1], plot[0] + plot[2], plot[1])
    for tick, label in zip(ticks, labels, strict=True):
        sheet.text(plot[0] - 4, y_of(tick) - 2.5, label, size=7, color=LABEL, anchor="end")
    for instant, label in axis.ticks:
        sheet.text(x_of(instant), plot[1] - 11, label, size=7, color=LABEL, anchor="middle")
    for curve in curves:
        _plot(sheet, curve, axis, x_of, y_of)
    _heading(sheet, title, curves, box, gap_label if spans else "")


def _x_scale(axis: Axis, plot: tuple[float, float, float, float]) -> Callable[[datetime], float]:
    span = max((axis.end - axis.start).total_seconds(), 1.0)

    def x_of(instant: datetime) -> float:
        return plot[0] + plot[2] * (instant - axis.start).total_seconds() / span

    return x_of


def _y_scale(top: float, plot: tuple[float, float, float, float]) -> Callable[[float], float]:
    def y_of(value: float) -> float:
        return plot[1] + plot[3] * min(max(value, 0.0), top) / top

    return y_of


def _plot(
    sheet: Sheet,
    curve: Curve,
    axis: Axis,
    x_of: Callable[[datetime], float],
    y_of: Callable[[float], float],
) -> None:
    """The curve's runs as one path of polylines; a lone sample between two gaps as a dot."""
    canvas = sheet.canvas
    canvas.setStrokeColor(curve.color)
    canvas.setFillColor(curve.color)
    canvas.setLineWidth(1.1)
    canvas.setLineJoin(1)
    finite = tuple((t, v) for t, v in curve.points if math.isfinite(v) and axis.start <= t <= axis.end)
    path = canvas.beginPath()
    for run in runs(finite, axis.step):
        if len(run) == 1:
            canvas.circle(x_of(run[0][0]), y_of(run[0][1]), 1.4, stroke=0, fill=1)
            continue
        path.moveTo(x_of(run[0][0]), y_of(run[0][1]))
        for t, v in run[1:]:
            path.lineTo(x_of(t), y_of(v))
    canvas.drawPath(path, stroke=1, fill=0)
    canvas.setLineJoin(0)


def _heading(
    sheet: Sheet, title: str, curves: Sequence[Curve], box: tuple[float, float, float, float], gap_label: str
) -> None:
    """The title at the top left, the legend (and the shaded "no data" key) at the top right."""
    faces = sheet.faces
    canvas = sheet.canvas
    entries: list[tuple[str, Color]] = [(faces.clean(c.label), c.color) for c in curves]
    if gap_label:
        entries.append((faces.clean(gap_label), GAP))
    top = box[1] + box[3] - 10
    x = box[0] + box[2]
    canvas.setLineWidth(0.3)
    canvas.setStrokeColor(AXIS)
    for label, color in reversed(entries):
        x -= sheet.text(x, top, label, size=7, color=LABEL, anchor="end")
        x -= 10
        canvas.setFillColor(color)
        canvas.rect(x, top, 7, 7, stroke=1 if color is GAP else 0, fill=1)
        x -= 8
    room = max(x - box[0] - 8, 40)
    sheet.text(box[0], top, fit(faces.clean(title), faces.bold, 9, room), font=faces.bold, size=9, color=TITLE)
