"""PEM and DER files and globs; a bundle yields one observation per certificate."""

from __future__ import annotations

import errno
import glob
import os
import stat
from pathlib import Path

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import MAX_BUNDLE_BYTES, split_bundle
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.context import JobContext
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import Permissions

_LOOP = "cannot read: too many levels of symbolic links"
_NOT_FOUND = {"no such file", _LOOP}  # under a glob: a dangling link, the far end of a symlink loop


def place(path: str | Path) -> str:
    """The resource naming a file. A name that is not UTF-8 (bytes Python keeps as lone
    surrogates) is shown with backslash escapes: readable, stable for sharding, and storable,
    where the raw surrogates would crash the state DB and the JSON output."""
    return "file:" + os.fsencode(path).decode("utf-8", "backslashreplace")


def _regular(path: str) -> bool | str:
    """True for a regular file, False for anything else that exists, the reason it cannot be looked at."""
    try:
        return stat.S_ISREG(Path(path).stat().st_mode)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _LOOP
        return f"cannot read: {exc.strerror or exc}"


def paths(patterns: list[str]) -> tuple[list[Path], list[RunError]]:
    """Every file the patterns name, once per real file (a symlink loop under ** names one file many
    times), under its shortest spelling; what cannot be looked at is an error naming it."""
    found: dict[str, Path] = {}  # real path → the spelling reported
    errors = []
    for pattern in patterns:
        if not glob.has_magic(pattern):
            kind = _regular(pattern)
            if kind is True:
                found.setdefault(os.path.realpath(pattern), Path(pattern))
            else:
                errors.append(RunError(place(pattern), kind if isinstance(kind, str) else "not a regular file"))
            continue
        files = []
        # glob.glob, not Path.glob: patterns are absolute or relative and may contain **
        for match in sorted(glob.glob(pattern, recursive=True), key=lambda m: (m.count(os.sep), m)):  # noqa: PTH207
            kind = _regular(match)
            if kind is True:
                files.append(match)
            elif isinstance(kind, str) and kind not in _NOT_FOUND:  # dangling links and loops name no file
                errors.append(RunError(place(match), kind))
        if not files:
            errors.append(RunError(place(pattern), "glob matched no file"))
        for match in files:
            found.setdefault(os.path.realpath(match), Path(match))
    return list(found.values()), errors


def read_file(path: Path) -> tuple[list[Observation], list[RunError]]:
    observations, errors = [], []
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            return [], [RunError(place(path), f"larger than {MAX_BUNDLE_BYTES} bytes: not a certificate file")]
        data = path.read_bytes()
    except OSError as exc:
        return [], [RunError(place(path), f"cannot read: {exc.strerror or exc}")]
    name = place(path)
    for parsed in split_bundle(data):
        resource = f"{name}#{parsed.index}"
        if parsed.info is None:
            errors.append(RunError(resource, parsed.error or "unreadable"))
            continue
        observations.append(Observation(resource, "file", (parsed.info,), extra={"path": name.removeprefix("file:")}))
    return observations, errors


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    files, errors = paths(cfg.files)
    inventory: Inventory[Observation] = Inventory(errors=errors)
    for path in files:
        if not ctx.owns(place(path)):
            continue
        observations, problems = read_file(path)
        inventory.items.extend(observations)
        inventory.errors.extend(problems)
    return inventory


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """None that Vault, Kubernetes or AWS grant: the process reads the files it is given."""
    return Permissions()
