"""Reading a rendered PDF back the way a reader's tools do: poppler's pdftotext and pdfinfo."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

#: the spaces poppler writes as a plain space (a word break, for it), and the bidi marks it puts
#: around a right-to-left run it reads back (dropped)
SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "} | dict.fromkeys("\u202a\u202b\u202c\u202d\u202e"))

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing (make system-deps)")


def _run(argv: list[str], pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        return subprocess.run([*argv, str(path), "-"], capture_output=True, text=True, check=True, timeout=30).stdout


def text(pdf: bytes, page: int | None = None) -> str:
    """pdftotext's reading of the whole document or of one page (1-based)."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return _run(["pdftotext", "-enc", "UTF-8", *pages], pdf)


def pages(pdf: bytes) -> list[str]:
    """Each page's text (pdftotext separates pages with a form feed)."""
    return text(pdf).split("\f")[:-1]


def info(pdf: bytes) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


def flat(value: str) -> str:
    """Text with every kind of space (and line break) removed: for comparing wrapped text."""
    return "".join(value.translate(SPACES).split())


def spaced(value: str) -> str:
    """A formatted figure as pdftotext gives it back (its narrow no-break spaces as spaces)."""
    return value.translate(SPACES)


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def words(pdf: bytes) -> tuple[list[Word], tuple[float, float]]:
    """Every word with its box (pdftotext -bbox), and the page size."""
    out = _run(["pdftotext", "-bbox"], pdf)
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out)
    assert size is not None
    found: list[Word] = []
    for number, page in enumerate(out.split("<page ")[1:], 1):
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            x0, y0, x1, y1 = (float(v) for v in match.groups()[:4])
            found.append(Word(number, html.unescape(match.group(5)), x0, y0, x1, y1))
    return found, (float(size.group(1)), float(size.group(2)))
