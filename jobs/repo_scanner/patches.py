"""Pure: `git log -p --unified=0` output → per commit, per file, the ADDED lines with the line
numbers they have in the new file.

Only what a commit added can be a secret it introduced; removed and context lines are not
read. With `--unified=0` each hunk header `@@ -a,b +c,d @@` says the new side starts at line c
and holds d lines, so the n-th added line of a hunk is line c + n - 1 of the file at that
commit. Hunk bodies are counted, never guessed from their first character, so an added line
that itself starts with `+++ ` or `diff --git` is still content. Paths come from the `+++`
line, C-quoted by git when they hold a quote, a backslash or a control character
(`core.quotePath=false` leaves other bytes raw), with a trailing tab when they hold a space.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: the `--format` of each commit's header line: a record separator no diff line starts with
FORMAT = "%x1e%H%x1f%an <%ae>%x1f%aI"
_MARK = b"\x1e"
_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


@dataclass
class AddedLines:
    """One file's lines added by one commit: (line number in the new file, text)."""

    path: str
    lines: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0  # bytes of added text, for the huge-file limit


@dataclass
class CommitPatch:
    commit: str
    author: str
    date: str
    files: list[AddedLines] = field(default_factory=list)
    binary: int = 0  # files whose patch git reported as binary (not read)


def unquote(raw: bytes) -> bytes:
    """git's C-style quoting undone: `"b/caf\\303\\251 \\"x\\".txt"` → `b/café "x".txt`."""
    if not (len(raw) >= 2 and raw.startswith(b'"') and raw.endswith(b'"')):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:  # \ooo: one byte in octal
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
    return bytes(out)


def new_path(line: bytes) -> str | None:
    """The path of a `+++ b/<path>` line; None for `+++ /dev/null` (a deleted file)."""
    raw = line[4:].rstrip(b"\n")
    if raw.endswith(b"\t"):
        raw = raw[:-1]
    if raw == b"/dev/null":
        return None
    name = unquote(raw)
    return os.fsdecode(name[2:] if name.startswith(b"b/") else name)


def _text(line: bytes) -> str:
    body = line[1:].rstrip(b"\n")
    return body.removesuffix(b"\r").decode("utf-8", "replace")


class _Parser:
    def __init__(self) -> None:
        self.commit: CommitPatch | None = None
        self.file: AddedLines | None = None
        self.old_left = self.new_left = self.new_line = 0

    def in_hunk(self) -> bool:
        return self.old_left > 0 or self.new_left > 0

    def hunk_line(self, line: bytes) -> None:
        kind = line[:1]
        if kind == b"\\":  # "\ No newline at end of file"
            return
        if kind == b"+":
            if self.file is not None:
                self.file.lines.append((self.new_line, _text(line)))
                self.file.size += len(line)
            self.new_line += 1
            self.new_left -= 1
        elif kind == b"-":
            self.old_left -= 1
        else:  # context (not asked for with --unified=0, counted all the same)
            self.new_line += 1
            self.old_left -= 1
            self.new_left -= 1

    def header_line(self, line: bytes) -> CommitPatch | None:
        """A line between hunks; the finished commit when a new one starts."""
        done = None
        if line.startswith(_MARK):
            done = self.commit
            sha, author, date = [*line[1:].rstrip(b"\n").split(b"\x1f"), b"", b""][:3]
            self.commit = CommitPatch(sha.decode(), author.decode("utf-8", "replace"), date.decode())
            self.file = None
        elif self.commit is None:
            return None
        elif line.startswith(b"diff --git "):
            self.file = None
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            self.commit.binary += 1
        elif line.startswith(b"+++ "):
            path = new_path(line)
            self.file = AddedLines(path) if path is not None else None
            if self.file is not None:
                self.commit.files.append(self.file)
        elif match := _HUNK.match(line):
            old, start, new = match.groups()
            self.old_left = 1 if old is None else int(old)
            self.new_left = 1 if new is None else int(new)
            self.new_line = int(start)
        return done


def parse(lines: Iterable[bytes]) -> Iterator[CommitPatch]:
    """Each commit of the stream, once all its lines are read (streamed: one commit in memory)."""
    parser = _Parser()
    for line in lines:
        if parser.in_hunk():
            parser.hunk_line(line)
            continue
        done = parser.header_line(line)
        if done is not None:
            yield _without_empty(done)
    if parser.commit is not None:
        yield _without_empty(parser.commit)


def _without_empty(commit: CommitPatch) -> CommitPatch:
    commit.files = [f for f in commit.files if f.lines]
    return commit
