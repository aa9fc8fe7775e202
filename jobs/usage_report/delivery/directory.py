"""A copy of each report under `delivery.directory`: `<dir>/<tenant>/<period kind>/<label>.pdf`.

Each file is written to a temporary name in its folder, flushed, made 0o640 and renamed over
the final name, so a reader (a finance team's sync) sees the old file or the new one, never half
of one. The tenant id is made one safe segment (paths.segment), and each folder below the
directory is checked to be a folder, not a symlink, before anything is written into it: no
tenant id and no link planted below the directory puts a report anywhere else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Any

from jobs.core.errors import PermanentError, TransientError
from jobs.core.settings import Settings
from jobs.usage_report.delivery.base import Delivered
from jobs.usage_report.delivery.files import files
from jobs.usage_report.delivery.paths import relative
from jobs.usage_report.model import Bundle
from jobs.usage_report.settings import UsageReportSettings

FILE_MODE = 0o640
FOLDER_MODE = 0o750
#: errors that writing again will not cure
_FOR_GOOD = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP}


def write_atomically(path: Path, content: bytes) -> None:
    """`content` at `path`, whole or not at all (temp file + fsync + rename in the same folder)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(FILE_MODE)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class DirectoryChannel:
    def __init__(self, settings: Settings, cfg: UsageReportSettings, client: Any = None) -> None:
        if not cfg.delivery.directory:
            raise PermanentError("usage_report.delivery.directory is not set")
        self.root = Path(cfg.delivery.directory)
        self.figures = cfg.delivery.figures

    def _folder(self, *parts: str) -> Path:
        """`<root>/<parts...>`, made one level at a time; a level that is a symlink (planted
        below the directory, leading anywhere) or not a folder is refused before it is used."""
        folder = self.root.resolve()
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        for part in parts:
            folder = folder / part
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=FOLDER_MODE)
            if folder.is_symlink():
                raise PermanentError(
                    f"directory: {folder} is a link, which may lead outside {self.root}; nothing written"
                )
            if not folder.is_dir():
                raise PermanentError(f"directory: cannot write {folder}: Not a directory")
        return folder

    def deliver(self, bundle: Bundle) -> Delivered:
        report = bundle.report
        tenant, kind, stem = relative(report.tenant.id, report.period)
        try:
            folder = self._folder(tenant, kind)
            written = []
            for suffix, content, _type in files(bundle, self.figures):
                path = folder / (stem + suffix)
                write_atomically(path, content)
                written.append(path)
        except OSError as exc:
            kind_of = PermanentError if exc.errno in _FOR_GOOD else TransientError
            raise kind_of(f"directory: cannot write {exc.filename or self.root}: {exc.strerror}") from None
        return Delivered(str(written[0]))

    def close(self) -> None:
        """Nothing held between tenants."""
