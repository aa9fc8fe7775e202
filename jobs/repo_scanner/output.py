"""Writing a report file: whole or not at all, and never through a link.

CI reads the SARIF, SBOM and baseline files a run writes; a run killed half-way must leave the
previous file, not half a JSON document (a temp file beside it, then one rename). A path that
is a symbolic link is refused: in a shared workspace a link planted where a report goes would
make the job overwrite whatever it points at.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class OutputRefused(OSError):
    """The path cannot take a report (a directory, a symbolic link)."""


def write_atomically(path: Path, text: str) -> None:
    """`text` at `path` (relative to the working directory), replacing it in one rename."""
    if path.is_symlink():
        raise OutputRefused(f"{path}: is a symbolic link; not written through it")
    if path.is_dir():
        raise OutputRefused(f"{path}: is a directory")
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o644)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
