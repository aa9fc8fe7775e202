"""reportlab's TrueType font, made cheap for many small documents with the same characters.

Measured on a 4-page report: reportlab's `splitString` (a Python loop over every character of
every string) and the per-document work of embedding a subset (building the subset font file,
compressing it, formatting its widths array and its ToUnicode map) were two thirds of the time.
A report's subsets are nearly always the same characters in the same order (fonts.seed), so:
- printable ASCII is its own code in subset 0 (`asciiReadable`): its bytes are the text's;
- other text whose characters all have a code in the document's subset 0 is one `str.translate`;
- a subset's font file, compressed, its widths and its ToUnicode map are built once per process
  for the same characters (bounded caches keyed by the subset itself, so no document can see
  another's data: the key is the content).
The results are reportlab's own (a test compares the encodings; pdftotext reads the PDFs).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont, makeToUnicodeCMap

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(dict[K, V]):
    """A dict keeping its last `size` entries (the oldest goes first)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        if key not in self:
            if len(self) >= self.size:
                self.pop(next(iter(self)))
            self[key] = make()
        return self[key]


class _Raw(pdfdoc.PDFObject):
    """An already formatted PDF value (a subset's widths array)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


class _CachedFlate:
    """FlateDecode, remembering what it compressed (font files and ToUnicode maps, by their bytes)."""

    pdfname = "FlateDecode"

    def __init__(self) -> None:
        self._done: Bounded[bytes, bytes] = Bounded(48)

    def encode(self, data: bytes | str) -> bytes:
        raw = data.encode("utf8") if isinstance(data, str) else data
        return self._done.get_or_make(raw, lambda: zlib.compress(raw))


FLATE = _CachedFlate()


class FastTTFont(TTFont):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(name, path, asciiReadable=True)
        self._ascii = all(code in self.face.charToGlyph for code in range(32, 127))
        self._subsets: Bounded[tuple[str, tuple[int, ...]], tuple[bytes, bytes]] = Bounded(16)
        face: Any = self.face
        make, built = face.makeSubset, Bounded[tuple[int, ...], bytes](16)
        face.makeSubset = lambda subset: built.get_or_make(tuple(subset), lambda: make(subset))  # the font file

    def splitString(self, text: str, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        if isinstance(text, str) and self._ascii and text.isascii() and text.isprintable():
            return [(0, text.encode("ascii"))] if text else []
        state: Any = self.state.get(doc)
        if state is not None and isinstance(text, str):
            table = getattr(state, "_fast", None)
            if table is None or table[-1] != len(state.assignments):
                table = state._fast = (_table(state.assignments), len(state.assignments))
            try:
                encoded = text.translate(table[0]).encode("latin-1")
                return [(0, encoded)] if encoded else []
            except UnicodeEncodeError:
                pass
        return super().splitString(text, doc, encoding)

    def addObjects(self, doc: Any) -> None:
        """reportlab's `TTFont.addObjects` (one Font, FontDescriptor, font file and ToUnicode map
        per subset), with each subset's parts made once per process."""
        state: Any = self.state.get(doc) or TTFont.State(True, self)  # asciiReadable, as __init__
        self.state[doc] = state
        state.frozen = 1
        face: Any = self.face
        fonts = doc.idToObject["BasicFonts"].dict
        for n, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(n, doc)[1:]
            base = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            widths, cmap = self._parts(base, subset)
            font: Any = pdfdoc.PDFTrueTypeFont()
            font.Name = internal
            font.BaseFont = base
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = _Raw(widths)
            stream: Any = pdfdoc.PDFStream()
            stream.content = cmap
            if doc.compression:
                stream.filters = [FLATE]
            font.ToUnicode = doc.Reference(stream, "toUnicodeCMap:" + base)
            font.FontDescriptor = face.addSubsetObjects(doc, base, subset)
            file = doc.idToObject.get(f"fontFile:{face.filename}({base})")
            if file is not None and file.filters:
                file.filters = [FLATE]
            doc.Reference(font, internal)
            fonts[internal] = font
        del self.state[doc]

    def _parts(self, base: str, subset: list[int]) -> tuple[bytes, bytes]:
        """The subset's widths array, formatted, and its ToUnicode map."""

        def make() -> tuple[bytes, bytes]:
            face: Any = self.face
            widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(None)
            return widths, makeToUnicodeCMap(base, subset).encode("latin-1")

        return self._subsets.get_or_make((base, tuple(subset)), make)


def _table(assignments: dict[int, int]) -> dict[int, str]:
    """code point → its one-byte code in subset 0; every other code below 256 → a character that
    cannot be encoded (so a string with one of them takes the long way)."""
    table = dict.fromkeys(range(256), "\u0100")
    table.update({code: chr(n) for code, n in assignments.items() if n < 256})
    if 32 in assignments and assignments[32] < 256:
        table[0xA0] = chr(assignments[32])  # reportlab draws a no-break space as a space
    return table
