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

from jobs.core.errors import ConfigError
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


#: in each owned folder: the files the last generation wrote there, the only ones it may delete
INDEX: Final = ".generated"
_INDEX_HEADER: Final = (
    "# Written by `python -m jobs generate` / `manifests`: the files below, relative to this folder,\n"
    "# are generated. Regenerating deletes one only when it is listed here and no longer generated.\n"
)


def place(artifact: Artifact, settings: Settings, base: Path) -> Placed:
    """The artifact's files under `base` (the repository's `folder`, or `manifests --output`);
    ConfigError, before anything is written, for a path that would write through a symlink or
    into something that is not a folder."""
    generated = artifact.files(settings)
    files = {base / rel: text for rel, text in sorted(generated.items())}
    seeds = frozenset(base / rel for rel in generated if artifact.is_seed(rel))
    left: tuple[Path, ...] = ()
    if artifact.owned is not None:
        owned = base / artifact.owned
        current = sorted(p.relative_to(owned).as_posix() for p in files if owned in p.parents)
        files[owned / INDEX] = _INDEX_HEADER + "".join(f"{rel}\n" for rel in current)
        left = tuple(owned / rel for rel in _listed(owned) if rel not in current and (owned / rel).is_file())
    for path in [*files, *left]:
        _refuse_unsafe(path, base)
    return Placed(files, seeds, left)


def _listed(owned: Path) -> list[str]:
    """What the last generation wrote in `owned`: relative, inside it, and nothing else."""
    index = owned / INDEX
    if not index.is_file() or index.is_symlink():
        return []
    lines = [line.strip() for line in index.read_text(encoding="utf-8").splitlines()]
    return [rel for rel in lines if rel and not rel.startswith("#") and ".." not in Path(rel).parts
            and not Path(rel).is_absolute()]  # fmt: skip


def _refuse_unsafe(path: Path, base: Path) -> None:
    if base.is_symlink() or (base.exists() and not base.is_dir()):
        raise ConfigError(f"{base}: not a folder (or a symlink): nothing written")
    here = base
    for part in path.relative_to(base).parts:
        here = here / part
        if here.is_symlink():
            raise ConfigError(f"{here}: a symlink; generated files are never written or deleted through one")
        if here != path and here.exists() and not here.is_dir():
            raise ConfigError(f"{here}: not a folder, so {path.relative_to(base)} cannot be written: nothing written")


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
