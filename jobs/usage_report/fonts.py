# ruff: noqa: RUF001 - French typography (its apostrophe and guillemets) is what these lines are about
"""The report's typefaces: DejaVu Sans where it is installed, reportlab's bundled Vera where not.

French accents, the ▲/▼ of the deltas and the narrow no-break space (U+202F) that French puts
before `%` and between digit groups must render and come back out of `pdftotext`; the standard
PDF fonts have none of the last three, so a TrueType face is embedded (subset). DejaVu Sans
(Debian `fonts-dejavu-core`) covers them all. Where it is absent the report still renders with
Vera, which ships inside reportlab: the triangles are then drawn as vector shapes by the
caller (`Faces.triangles` is False) and the spaces Vera lacks become plain spaces.

Every document starts its subsets with the same characters (printable ASCII, then `SEED`), so
the embedded subsets of an ordinary report are the same for every tenant and are built once per
process (ttf_fast.py): subsetting a TrueType face was a third of a report's rendering time.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics

from jobs.usage_report.ttf_fast import FastTTFont

#: where Debian and other distributions install DejaVu (searched in order)
DEJAVU_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
#: the environment variable naming a folder with the DejaVu files (beside the `font_dir` setting)
ENV_VAR = "USAGE_REPORT_FONT_DIR"
DEJAVU = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")
VERA = ("Vera.ttf", "VeraBd.ttf")

#: the characters beyond ASCII a report is likely to use, first in every subset of the text faces,
#: in this order (printable ASCII is always subset 0's, as its own codes: `asciiReadable`)
SEED = "−–—…·’«»àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ\u202f\u2009▲▼"
#: spaces a face may lack (a plain space stands in for them then)
SPACES = "\u202f\u2009\u2007\u00a0"
#: a probe: those spaces as a printable character (str.isprintable is False for them)
_PROBE = {ord(char): "x" for char in SPACES}


@dataclass(frozen=True)
class FontSet:
    """Which files to embed: picklable, so a process pool's workers each register them once."""

    regular: str
    bold: str
    mono: str | None  # None: the standard Courier (Vera has no monospace face)
    dejavu: bool


@dataclass(frozen=True)
class Faces:
    """Registered font names for one document, and what the regular face can show."""

    regular: str
    bold: str
    mono: str
    triangles: bool  # False: ▲/▼ are drawn as shapes by the caller
    charmap: frozenset[int]

    def clean(self, text: str) -> str:
        """`text` as this face can draw it: spaces it lacks become plain spaces, and control and
        format characters (a newline or a NUL in a tenant's name) become spaces too."""
        if text.isprintable():
            return text  # the usual case, at C speed
        swapped = text.translate(self.swap)
        if swapped.translate(_PROBE).isprintable():
            return swapped  # only spaces the face has (French digit groups)
        return "".join(char if char.isprintable() or char in self.spaces else " " for char in swapped)

    @cached_property
    def spaces(self) -> frozenset[str]:
        """The spaces of SPACES this face has a glyph for (kept as they are)."""
        return frozenset(char for char in SPACES if ord(char) in self.charmap)

    @cached_property
    def swap(self) -> dict[int, str]:
        """The spaces this face lacks → a plain space."""
        return {ord(char): " " for char in SPACES if ord(char) not in self.charmap}


def find(directory: str | None = None) -> FontSet:
    """DejaVu from `directory` (the `font_dir` setting), $USAGE_REPORT_FONT_DIR, or the usual
    system folders; Vera (bundled) when none of them has all three files."""
    candidates = [d for d in (directory, os.environ.get(ENV_VAR)) if d] + list(DEJAVU_DIRS)
    for folder in candidates:
        paths = [Path(folder) / name for name in DEJAVU]
        if all(path.is_file() for path in paths):
            return FontSet(str(paths[0]), str(paths[1]), str(paths[2]), dejavu=True)
    return bundled()


def problems(directory: str | None) -> list[str]:
    """Why the `font_dir` setting cannot be used (empty: unset, or it holds the three files): an
    operator who names a folder wants those fonts, never a silent fallback to Vera."""
    if directory is None:
        return []
    missing = [name for name in DEJAVU if not (Path(directory) / name).is_file()]
    if not missing:
        return []
    return [f"usage_report.font_dir: {', '.join(missing)} not found in {directory!r} (needs {', '.join(DEJAVU)})"]


def bundled() -> FontSet:
    """reportlab's own Vera (no ▲/▼, no narrow spaces, no monospace face: Courier stands in)."""
    folder = Path(reportlab.__file__).parent / "fonts"
    return FontSet(str(folder / VERA[0]), str(folder / VERA[1]), None, dejavu=False)


@cache
def register(fonts: FontSet) -> Faces:
    """Register the set's faces with reportlab once per process, under names derived from their
    paths (two sets never collide; the names do not reach the PDF)."""
    tag = hashlib.sha256(repr(fonts).encode()).hexdigest()[:8]
    regular = _register(f"UR-{tag}-regular", fonts.regular)
    bold = _register(f"UR-{tag}-bold", fonts.bold)
    mono = _register(f"UR-{tag}-mono", fonts.mono) if fonts.mono else "Courier"
    charmap = frozenset(pdfmetrics.getFont(regular).face.charToGlyph)  # type: ignore[attr-defined]
    triangles = all(ord(char) in charmap for char in "▲▼")
    return Faces(regular, bold, mono, triangles, charmap)


def _register(name: str, path: str) -> str:
    pdfmetrics.registerFont(FastTTFont(name, path))
    return name


def seed(canvas_doc: object, faces: Faces) -> None:
    """Start the text faces' subsets with `SEED` in a document, before anything is drawn (the
    monospace face draws queries: ASCII)."""
    for name in (faces.regular, faces.bold):
        font = pdfmetrics.getFont(name)
        if hasattr(font, "splitString") and getattr(font, "_dynamicFont", False):
            font.splitString(SEED, canvas_doc)
