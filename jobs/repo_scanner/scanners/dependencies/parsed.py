"""What a lockfile parser returns, and the one exception it may raise. Parsers are pure
(text in, components out); `lockfiles.read` turns any failure into an errors entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jobs.repo_scanner.scanners.dependencies.component import Component


class LockfileError(ValueError):
    """The file is not what its name says (unreadable JSON/TOML, the wrong shape)."""


@dataclass
class Parsed:
    components: list[Component] = field(default_factory=list)
    #: requirements that pin nothing exact (ranges, URLs, editables): counted, never guessed
    unpinned: int = 0
    #: lines that could not be read; the rest of the file still counts
    problems: list[str] = field(default_factory=list)

    def add(self, component: Component) -> None:
        """Once per (name, version) per file: a lockfile that nests a package twice has it once."""
        if not any(c.key == component.key and c.version == component.version for c in self.components):
            self.components.append(component)


def line_at(text: str, offset: int) -> int:
    """The 1-based line of a character offset (a not-found offset, -1, is line 0)."""
    return 0 if offset < 0 else text.count("\n", 0, offset) + 1


class Cursor:
    """Finds the lines of keys in document order: parsers walk the parsed data in the order
    the file states it, so each key is searched from where the previous one was found."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0

    def line_of(self, pattern: str) -> int:
        found = re.compile(pattern, re.MULTILINE).search(self.text, self.offset)
        if found is None:
            return 0
        self.offset = found.end()
        return line_at(self.text, found.start())


def require(condition: bool, why: str) -> None:
    if not condition:
        raise LockfileError(why)
