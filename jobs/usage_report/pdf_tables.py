"""Tables drawn row by row on a Sheet: the header is drawn again at the top of every page a table
continues on, and a cell never overflows its column (a name wraps to two lines, then `…`).

A top-N table may have 50 rows of 200-character names, more than a page: the reader of page 4
still knows which column is which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobs.usage_report.pdf_figures import fitted
from jobs.usage_report.pdf_page import MUTED, RULE, TILE, Sheet
from jobs.usage_report.pdf_text import fit, wrap

SIZE = 8.0
LEADING = 10.0
PAD = 3.0
NAME_LINES = 2
#: the smallest size a figure shrinks to before its compact form (`1.23 T`) is used
FLOOR = 5.5
#: a cell: its text, or a figure's full and compact forms (`1,234,567,890,123`, `1.23 T`)
Cell = str | tuple[str, str]


@dataclass(frozen=True)
class Column:
    header: str
    share: float  # of the table's width
    numeric: bool = False  # right-aligned, never wrapped


def _widths(sheet: Sheet, columns: Sequence[Column]) -> list[float]:
    total = sum(c.share for c in columns)
    return [sheet.width * c.share / total for c in columns]


def _cells(sheet: Sheet, columns: Sequence[Column], row: Sequence[Cell], font: str) -> list[list[str]]:
    """Each cell's lines within its column: text wrapped (two lines at most), numbers smaller or
    compact but never cut (a cut figure reads as another one)."""
    cells = []
    for column, room, value in zip(columns, _widths(sheet, columns), row, strict=True):
        full, short = (value, value) if isinstance(value, str) else value
        text = sheet.faces.clean(full)
        inner = room - 2 * PAD
        if column.numeric:
            cells.append([fitted(text, sheet.faces.clean(short), font, SIZE, inner, FLOOR)[0]])
        else:
            cells.append(wrap(text, font, SIZE, inner, NAME_LINES))
    return cells


def _draw_row(sheet: Sheet, columns: Sequence[Column], cells: list[list[str]], font: str, *, header: bool) -> None:
    height = max(len(lines) for lines in cells) * LEADING + 2 * PAD
    canvas = sheet.canvas
    top = sheet.y
    if header:
        canvas.setFillColor(TILE)
        canvas.rect(sheet.left, top - height, sheet.width, height, stroke=0, fill=1)
    x = sheet.left
    for column, room, lines in zip(columns, _widths(sheet, columns), cells, strict=True):
        for index, line in enumerate(lines):
            baseline = top - PAD - SIZE - index * LEADING + 1
            if column.numeric:
                size = fitted(line, line, font, SIZE, room - 2 * PAD, FLOOR)[1]
                sheet.text(x + room - PAD, baseline, line, font=font, size=size, anchor="end")
            else:
                sheet.text(x + PAD, baseline, line, font=font, size=SIZE)
        x += room
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.line(sheet.left, top - height, sheet.right, top - height)
    sheet.y = top - height


def table(sheet: Sheet, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], empty: str) -> None:
    """`title`, the header and the rows; a row that does not fit goes to the next page, under the
    title and the header drawn again. `empty` is said when there is no row."""
    faces = sheet.faces
    header = _cells(sheet, columns, [c.header for c in columns], faces.bold)
    header_height = max(len(lines) for lines in header) * LEADING + 2 * PAD
    bodies = [_cells(sheet, columns, row, faces.regular) for row in rows]
    first = max(len(lines) for lines in bodies[0]) * LEADING + 2 * PAD if bodies else LEADING + 2 * PAD
    sheet.need(18 + header_height + first)
    _title(sheet, title)
    if not bodies:
        sheet.text(sheet.left, sheet.y - SIZE - PAD, empty, size=SIZE, color=MUTED)
        sheet.y -= LEADING + 2 * PAD + 8
        return
    _draw_row(sheet, columns, header, faces.bold, header=True)
    for cells in bodies:
        height = max(len(lines) for lines in cells) * LEADING + 2 * PAD
        if sheet.need(height):
            _title(sheet, title)
            _draw_row(sheet, columns, header, faces.bold, header=True)
        _draw_row(sheet, columns, cells, faces.regular, header=False)
    sheet.y -= 14


def _title(sheet: Sheet, title: str) -> None:
    sheet.text(
        sheet.left,
        sheet.y - 11,
        fit(sheet.faces.clean(title), sheet.faces.bold, 10.5, sheet.width),
        font=sheet.faces.bold,
        size=10.5,
    )
    sheet.y -= 18
