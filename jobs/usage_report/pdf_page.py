"""An A4 canvas with a cursor: blocks flow down the page, a new page starts when one does not fit.

The report draws on the canvas directly (no platypus story): it is several times faster for a
few pages of known shapes, and every string goes through `Sheet.text`, which draws it literally
and, where the face has no ▲/▼ (the Vera fallback), draws those as small vector triangles.
"""

from __future__ import annotations

import re
from typing import Any

from bidi import get_display
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from jobs.usage_report.fonts import Faces
from jobs.usage_report.pdf_text import fit, width

INK = HexColor("#1f2933")
MUTED = HexColor("#6b7280")
RULE = HexColor("#d1d5db")
TILE = HexColor("#f3f4f6")
ACCENT = HexColor("#2563eb")
BAD = HexColor("#dc2626")
GOOD = HexColor("#15803d")
WARN = HexColor("#b45309")
WARN_FILL = HexColor("#fef3c7")
WHITE = HexColor("#ffffff")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42.0
TRIANGLES = "▲▼"
#: Hebrew, Arabic, Syriac, Thaana, NKo..., and their presentation forms
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
SHIFT = {"start": 0.0, "middle": 0.5, "end": 1.0}


class Sheet:
    """The canvas, its faces and the cursor `y` (points from the bottom, going down)."""

    def __init__(self, canvas: Canvas, faces: Faces, footer_left: str, footer_right: str) -> None:
        self.canvas = canvas
        self.faces = faces
        self.left = MARGIN
        self.right = PAGE_WIDTH - MARGIN
        self.top = PAGE_HEIGHT - MARGIN
        self.bottom = MARGIN + 18  # the footer's room
        self.y = self.top
        self.page = 1
        self._footer = (faces.clean(footer_left), faces.clean(footer_right))
        self._doc = canvas._doc  # type: ignore[attr-defined]  # the subsets' state lives there
        self._ops: list[str] = []  # the page's text, as PDF operators
        self._color: Color | None = None
        self._tf: tuple[str, int, float] | None = None
        self._batch: PDFTextObject | None = None  # for a standard (Type 1) face
        self._state: tuple[str, float, Color] | None = None

    @property
    def width(self) -> float:
        return self.right - self.left

    def room(self) -> float:
        return self.y - self.bottom

    def need(self, height: float) -> bool:
        """Start a new page unless `height` fits below the cursor; True when it started one."""
        if height <= self.room() or self.y == self.top:
            return False
        self.new_page()
        return True

    def new_page(self) -> None:
        self.footer()
        self.flush()
        self.canvas.showPage()
        self.page += 1
        self.y = self.top

    def footer(self) -> None:
        """The tenant and period on every page, and the page's number."""
        left, right = self._footer
        size = 7.5
        self.canvas.setStrokeColor(RULE)
        self.canvas.setLineWidth(0.5)
        self.canvas.line(self.left, MARGIN + 10, self.right, MARGIN + 10)
        number = f"{right} · {self.page}"
        room = self.width - width(number, self.faces.regular, size) - 20
        self.text(self.left, MARGIN, fit(left, self.faces.regular, size, room), size=size, color=MUTED)
        self.text(self.right, MARGIN, number, size=size, color=MUTED, anchor="end")

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str | None = None,
        size: float = 9,
        color: Color = INK,
        anchor: str = "start",
        measure: bool = False,
    ) -> float:
        """Draw `text` literally at (x, y), its start, end or middle there (`anchor`); its width
        (0 for a text drawn from its start unless `measure`: measuring is a third of the cost)."""
        font = font or self.faces.regular
        text = self.faces.clean(text)
        if not text.isascii() and RIGHT_TO_LEFT.search(text):
            text = get_display(text, base_dir="L")  # Hebrew, Arabic runs in visual order, in an LTR line
        if self.faces.triangles or not (TRIANGLES[0] in text or TRIANGLES[1] in text):
            shift = SHIFT[anchor]
            drawn = width(text, font, size) if shift or measure else 0.0
            self._out(x - drawn * shift, y, text, font, size, color)
            return drawn
        return self._with_shapes(x, y, text, font, size, color, anchor)

    def _out(self, x: float, y: float, text: str, font: str, size: float, color: Color) -> None:
        """Text of a TrueType face goes straight into the page's text block as PDF operators
        (reportlab's own text objects cost three times as much a string, most of a report's
        time); the standard Courier of the fallback goes through a reportlab text object."""
        face: Any = pdfmetrics.getFont(font)
        if not getattr(face, "_dynamicFont", False):
            self._out_standard(x, y, text, font, size, color)
            return
        ops = self._ops
        if color is not self._color:
            ops.append(f"{fp_str(color.red, color.green, color.blue)} rg")
            self._color = color
        ops.append(f"1 0 0 1 {fp_str(x, y)} Tm")
        doc = self._doc
        for subset, data in face.splitString(text, doc):
            if (font, subset, size) != self._tf:
                ops.append(f"{face.getSubsetInternalName(subset, doc)} {fp_str(size)} Tf")
                self._tf = (font, subset, size)
            ops.append(f"({escapePDF(data)}) Tj")

    def _out_standard(self, x: float, y: float, text: str, font: str, size: float, color: Color) -> None:
        if self._batch is None:
            self._batch = self.canvas.beginText()
            self._state = None
        batch = self._batch
        last = self._state
        if last is None or last[0] != font or last[1] != size:
            batch.setFont(font, size)
        if last is None or last[2] is not color:
            batch.setFillColor(color)
        self._state = (font, size, color)
        batch.setTextOrigin(x, y)
        batch.textOut(text)

    def flush(self) -> None:
        """Draw the page's text (before the page ends), over everything else on it."""
        if self._ops:
            self.canvas.addLiteral("q BT\n" + "\n".join(self._ops) + "\nET Q")
            self._ops = []
            self._color = None
            self._tf = None
        if self._batch is not None:
            self.canvas.drawText(self._batch)
            self._batch = None

    def _with_shapes(self, x: float, y: float, text: str, font: str, size: float, color: Color, anchor: str) -> float:
        """Text whose ▲/▼ the face cannot show: the rest as text, each triangle as a path."""
        side = size * 0.7
        parts = [(char, side) if char in TRIANGLES else (char, width(char, font, size)) for char in text]
        total = sum(advance for _, advance in parts)
        cursor = x - total * SHIFT[anchor]
        run = ""
        run_x = cursor
        self.canvas.setFillColor(color)
        for char, advance in parts:
            if char not in TRIANGLES:
                run += char
                cursor += advance
                continue
            if run:
                self._out(run_x, y, run, font, size, color)
            _triangle(self.canvas, cursor, y, side, up=char == "▲")
            cursor += advance
            run, run_x = "", cursor
        if run:
            self._out(run_x, y, run, font, size, color)
        return total


def _triangle(canvas: Canvas, x: float, y: float, side: float, *, up: bool) -> None:
    path = canvas.beginPath()
    if up:
        path.moveTo(x, y)
        path.lineTo(x + side * 0.9, y)
        path.lineTo(x + side * 0.45, y + side * 0.8)
    else:
        path.moveTo(x, y + side * 0.8)
        path.lineTo(x + side * 0.9, y + side * 0.8)
        path.lineTo(x + side * 0.45, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
