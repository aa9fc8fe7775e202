"""A target made readable (PLACEHOLDER of the skeleton: working trees only; the targets slice
adds bare repositories, the remote cache and exports)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jobs.core.context import JobContext
from jobs.repo_scanner.model import Checkout, ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings


@contextmanager
def checked_out(target: ScanTarget, cfg: RepoScannerSettings, ctx: JobContext) -> Iterator[Checkout]:
    assert target.path is not None
    root = Path(target.path)
    files = [
        str(p.relative_to(root).as_posix()) for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts
    ]
    head = (
        subprocess.run(  # noqa: S603 - placeholder
            ["git", "-C", str(root), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=cfg.git_timeout_seconds,
        ).stdout.strip()
        or None
    )
    yield Checkout(target, root, files, head, root / ".git" if (root / ".git").exists() else None)
