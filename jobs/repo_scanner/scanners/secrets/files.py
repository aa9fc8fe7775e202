"""Reading a checkout's files for the engine: skipped ones counted, never silently.

A file is skipped, and counted, when it is larger than `max_file_bytes` or binary (a NUL byte);
a link is refused (`O_NOFOLLOW`: a checkout lists no links, and one made after the listing must
not lead the scan outside the tree). Undecodable bytes are read as U+FFFD (counted as non_utf8),
so a secret in a Latin-1 file is still found. Files are read a few ahead on threads (reading
releases the GIL): on a cold page cache the disk, not RE2, is what a scan waits for.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

_READERS = 4
_AHEAD = 16  # files read ahead of the scan, at most (memory: _AHEAD x max_file_bytes)


@dataclass(frozen=True)
class Read:
    """One file: its bytes (valid UTF-8) or why it is not scanned."""

    rel: str
    data: bytes | None = None
    skipped: str | None = None  # "large" | "binary"
    error: str | None = None  # unreadable: the OS's reason
    non_utf8: bool = False


@dataclass
class Tally:
    files: int = 0
    bytes: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    non_utf8: int = 0
    large: list[str] = field(default_factory=list)

    def count(self, read: Read) -> None:
        if read.skipped == "large":
            self.skipped_large += 1
            self.large.append(read.rel)
        elif read.skipped == "binary":
            self.skipped_binary += 1
        elif read.data is not None:
            self.files += 1
            self.bytes += len(read.data)
            self.non_utf8 += read.non_utf8


def read_one(root: Path, rel: str, max_bytes: int) -> Read:
    try:
        fd = os.open(root / rel, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        return Read(rel, error=exc.strerror or exc.__class__.__name__)
    try:
        if os.fstat(fd).st_size > max_bytes:
            return Read(rel, skipped="large")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        return Read(rel, error=exc.strerror or exc.__class__.__name__)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew since fstat
        return Read(rel, skipped="large")
    if b"\0" in data:
        return Read(rel, skipped="binary")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Read(rel, data.decode("utf-8", "replace").encode("utf-8"), non_utf8=True)
    return Read(rel, data)


def read_all(root: Path, files: Sequence[str], max_bytes: int) -> Iterator[Read]:
    """Every file of `files`, in order, read a few ahead."""
    with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="secrets-read") as pool:
        pending: deque[Future[Read]] = deque()
        names = iter(files)
        for rel in names:
            pending.append(pool.submit(read_one, root, rel, max_bytes))
            if len(pending) >= _AHEAD:
                break
        while pending:
            yield pending.popleft().result()
            following = next(names, None)
            if following is not None:
                pending.append(pool.submit(read_one, root, following, max_bytes))
