"""ARTIFACTS: every committed deployment file, by the generator that writes it.

One table (house rule 4): name → the folder it is committed in and the "module:function" that
returns its files, `(settings) -> {relative path: text}`. `python -m jobs generate` writes them
all, `python -m jobs manifests` one of them, and a test regenerates each and diffs it against
the checkout, so no committed artifact is a file nobody ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from jobs.core.registry import load_attr
from jobs.core.settings import Settings

#: what the committed artifacts are generated from: the example deployment's settings
EXAMPLE_CONFIG: Final = "config/example.yaml"


@dataclass(frozen=True)
class Artifact:
    folder: str  # relative to the repository root
    generator: str  # "module:function", (Settings) -> {relative path: text}
    description: str
    #: the sub-folder of `folder` ("" for all of it) holding only generated files: a file the
    #: generator no longer writes there (a job removed from the table) is deleted when it
    #: regenerates, and flagged by the tests. None: people's own files live there too
    #: (lambda/handler.py, docs/), so nothing is ever deleted
    owned: str | None = None
    #: sub-folders written only where a file is missing: examples the operator edits (the
    #: overlays), which regenerating must never overwrite
    seeds: tuple[str, ...] = ()

    def files(self, settings: Settings) -> dict[str, str]:
        found: dict[str, str] = load_attr(self.generator)(settings)
        return found

    def is_seed(self, relative: str) -> bool:
        return any(relative.startswith(seed.rstrip("/") + "/") for seed in self.seeds)


@dataclass(frozen=True)
class Placed:
    """What regenerating one artifact under a folder would do, before anything is written."""

    files: dict[Path, str]
    seeds: frozenset[Path]  # written only when missing
    leftovers: tuple[Path, ...]  # in the owned sub-folder, no longer generated: to delete


def place(artifact: Artifact, settings: Settings, base: Path) -> Placed:
    """The artifact's files under `base` (the repository's `folder`, or `manifests --output`)."""
    generated = artifact.files(settings)
    files = {base / rel: text for rel, text in sorted(generated.items())}
    seeds = frozenset(base / rel for rel in generated if artifact.is_seed(rel))
    owned = base / artifact.owned if artifact.owned is not None else None
    left: tuple[Path, ...] = ()
    if owned is not None and owned.is_dir():
        left = tuple(sorted(p for p in owned.rglob("*") if p.is_file() and p not in files))
    return Placed(files, seeds, left)


def apply(placed: Placed) -> tuple[list[Path], list[Path]]:
    """Write the files that differ (a regenerated tree keeps its timestamps) except seeds that
    exist, delete the leftovers; the paths written and removed."""
    written = []
    for path, text in placed.files.items():
        if path.is_file() and (path in placed.seeds or path.read_text(encoding="utf-8") == text):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for path in placed.leftovers:
        path.unlink()
    return written, list(placed.leftovers)


ARTIFACTS: Final[dict[str, Artifact]] = {
    "permissions": Artifact(
        "docs", "jobs.core.deploy.permissions_doc:files", "docs/permissions.md: every job's IAM, RBAC and Vault policy"
    ),
    "cronjobs": Artifact(
        "cronjobs",
        "jobs.core.deploy.manifests:files",
        "cronjobs/: a kustomize base (CronJobs, Indexed Jobs for shards, ServiceAccounts, RBAC) and overlays",
        owned="base",
        seeds=("overlays",),
    ),
    "lambda": Artifact(
        "lambda", "jobs.core.deploy.sam:files", "lambda/template.yaml: the SAM template, a function per job, schedules"
    ),
    "monitoring": Artifact(
        "monitoring",
        "jobs.core.deploy.monitoring:files",
        "Prometheus alert rules and their promtool tests, an Alertmanager example, Grafana dashboards",
        owned="",
    ),
    "runbooks": Artifact(
        "docs/runbooks", "jobs.core.deploy.runbooks:files", "docs/runbooks: one page per alert", owned=""
    ),
}
