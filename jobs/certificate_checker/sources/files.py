"""PEM and DER files and globs; a bundle yields one observation per certificate."""

from __future__ import annotations

import glob
from pathlib import Path

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import cert_info, split_bundle
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.context import JobContext
from jobs.core.job import Inventory, RunError

MAX_FILE_BYTES = 10 * 1024 * 1024  # a certificate file is kilobytes; anything else is a mistake


def paths(patterns: list[str]) -> tuple[list[Path], list[RunError]]:
    found: dict[str, Path] = {}
    errors = []
    for pattern in patterns:
        is_glob = glob.has_magic(pattern)
        # glob.glob, not Path.glob: patterns are absolute or relative and may contain **
        matches = sorted(glob.glob(pattern, recursive=True)) if is_glob else [pattern]  # noqa: PTH207
        files = [m for m in matches if Path(m).is_file()]
        if not files:
            errors.append(RunError(f"file:{pattern}", "glob matched no file" if is_glob else "no such file"))
        for match in files:
            found.setdefault(match, Path(match))
    return list(found.values()), errors


def read_file(path: Path) -> tuple[list[Observation], list[RunError]]:
    observations, errors = [], []
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [RunError(f"file:{path}", f"larger than {MAX_FILE_BYTES} bytes: not a certificate file")]
        data = path.read_bytes()
    except OSError as exc:
        return [], [RunError(f"file:{path}", f"cannot read: {exc.strerror or exc}")]
    for parsed in split_bundle(data):
        resource = f"file:{path}#{parsed.index}"
        if parsed.cert is None:
            errors.append(RunError(resource, parsed.error or "unreadable"))
            continue
        observations.append(Observation(resource, "file", (cert_info(parsed.cert),), extra={"path": str(path)}))
    return observations, errors


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    files, errors = paths(cfg.files)
    inventory: Inventory[Observation] = Inventory(errors=errors)
    for path in files:
        if not ctx.owns(f"file:{path}"):
            continue
        observations, problems = read_file(path)
        inventory.items.extend(observations)
        inventory.errors.extend(problems)
    return inventory
