"""The only door to google-re2: typed, bytes-only, compiled once.

RE2 guarantees time linear in the input whatever the pattern (no backtracking), so a rule or a
file crafted to be pathological costs no more than its size. Everything the engine matches
against file content goes through here; Python's `re` never sees a file. Patterns and texts are
UTF-8 bytes: the engine works on the file's bytes and never pays for a str/bytes round trip per
rule (the `re2` module re-encodes a str text on every call).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import re2  # type: ignore[import-untyped]

#: per compiled pattern; RE2's default (8 MiB) with headroom for large alternations of keywords
_MAX_MEM = 64 << 20
_UNANCHORED = re2._Anchor.UNANCHORED


class RegexError(ValueError):
    """A pattern RE2 refuses (a look-around, a back-reference, a bad group)."""


def _kind(exc: Exception) -> str:
    """What RE2 objects to, without the pattern it quotes after the colon (`missing ): <rest of
    the pattern>`): an allowlist regex is often a pasted secret, and the message reaches results."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.split(":", 1)[0].strip() or "refused"


def _options() -> object:
    options = re2.Options()
    options.max_mem = _MAX_MEM
    options.log_errors = False
    return options


@dataclass(frozen=True)
class Span:
    """Byte offsets of a match and of its groups; a group that did not take part is (-1, -1)."""

    start: int
    end: int
    groups: tuple[tuple[int, int], ...]


class Regex:
    """A compiled RE2 pattern over UTF-8 bytes. Calls go to RE2's own Match (the `re2` module's
    generator and match objects cost more than the search on a short text)."""

    __slots__ = ("_groups", "_re", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        try:
            self._re = re2.compile(pattern.encode("utf-8"), _options())._regexp
        except re2.error as exc:
            raise RegexError(_kind(exc)) from None
        self._groups = int(self._re.NumberOfCapturingGroups())

    @property
    def groups(self) -> int:
        return self._groups

    def search(self, data: bytes) -> bool:
        return bool(self._re.Match(_UNANCHORED, data, 0, len(data))[0][0] >= 0)

    def spans(self, data: bytes) -> Iterator[Span]:
        """Every non-overlapping match, left to right."""
        pos, end = 0, len(data)
        while pos <= end:
            found = self._re.Match(_UNANCHORED, data, pos, end)
            start, stop = found[0]
            if start < 0:
                return
            yield Span(start, stop, tuple(found[1:]))
            pos = stop + 1 if stop == start else stop

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"


class AnyOf:
    """Does any of several patterns match a short text? One RE2 Set, one call (an allowlist's
    regexes are tried on every candidate). Each pattern is compiled alone first, so a refused
    one is named."""

    def __init__(self, patterns: Sequence[Regex]) -> None:
        self.patterns = tuple(patterns)
        self._set = re2.Set.SearchSet(_options())
        for pattern in self.patterns:
            self._set.Add(pattern.pattern.encode("utf-8"))
        self._set.Compile()

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def search(self, data: bytes) -> bool:
        return bool(self.patterns) and bool(self._set.Match(data))


class LiteralSet:
    """Which of many literals occur in a text, case-insensitively, in one pass (an RE2 Set: a
    single DFA over all of them). The keyword prefilter of the engine."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = tuple(literals)
        self._set = re2.Set.SearchSet(_options())
        for literal in self.literals:
            self._set.Add(b"(?i)" + re2.escape(literal.encode("utf-8")))
        self._set.Compile()

    def present(self, data: bytes) -> frozenset[int]:
        """The indexes of the literals found in `data`."""
        if not self.literals:
            return frozenset()
        return frozenset(self._set.Match(data) or ())
