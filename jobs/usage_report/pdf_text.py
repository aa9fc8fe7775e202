"""Lines of text fitted to a width: wrapped at spaces, long words cut, the last line ellipsized.

Every string of a report is drawn with `canvas.drawString`, never through reportlab's Paragraph
markup: a tenant called `<font size=90>` is drawn as those 15 characters, and nothing a tenant
or a query contains can change the layout. So wrapping is done here, by measured widths.
"""

from __future__ import annotations

from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

ELLIPSIS = "…"


@lru_cache(maxsize=8192)
def width(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size))


@lru_cache(maxsize=4096)
def fit(text: str, font: str, size: float, room: float) -> str:
    """`text`, or its longest prefix that fits in `room` followed by an ellipsis."""
    if width(text, font, size) <= room:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix (plus the ellipsis) within room
        middle = (low + high + 1) // 2
        if width(text[:middle] + ELLIPSIS, font, size) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def _cut(word: str, font: str, size: float, room: float) -> tuple[str, str]:
    """The longest head of `word` that fits in `room` (at least one character), and the rest."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if width(word[:middle], font, size) <= room:
            low = middle
        else:
            high = middle - 1
    return word[:low], word[low:]


def wrap(text: str, font: str, size: float, room: float, max_lines: int = 0) -> list[str]:
    """`text` in lines no wider than `room`: broken at spaces, a word longer than a line cut
    where it must; with `max_lines`, the last line kept ends with an ellipsis when text is left.
    Remembered: labels, definitions and headers are the same words in every report."""
    return list(_wrap(text, font, size, room, max_lines))


@lru_cache(maxsize=4096)
def _wrap(text: str, font: str, size: float, room: float, max_lines: int) -> tuple[str, ...]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while width(current, font, size) > room:
            head, current = _cut(current, font, size, room)
            lines.append(head)
    if current:
        lines.append(current)
    if max_lines and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = fit(f"{kept[-1]} {lines[max_lines]}", font, size, room)  # too wide: ends with …
        return tuple(kept)
    return tuple(lines) or ("",)


def wrap_code(text: str, font: str, size: float, room: float) -> list[str]:
    """A query in a monospace face: kept whole where it fits, else broken after a space, a comma
    or a closing bracket near the line's end, else cut at the width (PromQL has long words).
    Remembered: a query is the same text in every tenant's report."""
    return list(_wrap_code(text, font, size, room))


@lru_cache(maxsize=1024)
def _wrap_code(text: str, font: str, size: float, room: float) -> tuple[str, ...]:
    columns = max(8, int(room // max(width("M", font, size), 0.1)))
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        line = raw.rstrip()
        while len(line) > columns:
            head = line[:columns]
            breaks = [i + 1 for i, char in enumerate(head) if char in " ,)}" and i + 1 >= columns * 0.6]
            fair = [cut for cut in breaks if len(line) - cut >= 8]  # no line of a lone bracket
            cut = max(fair or breaks or [columns])
            lines.append(line[:cut].rstrip())
            line = "  " + line[cut:].lstrip()  # continuation lines are indented
        lines.append(line)
    return tuple(lines)
