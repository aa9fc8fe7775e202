"""ARTIFACTS: every committed deployment file, by the generator that writes it.

One table (house rule 4): name → the folder it is committed in and the "module:function" that
returns its files, `(settings) -> {relative path: text}`. `python -m jobs generate` writes them
all, `python -m jobs manifests` one of them, and a test regenerates each and diffs it against
the checkout, so no committed artifact is a file nobody ran.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    #: every file under `folder` is generated: a file the generator no longer writes (a job
    #: removed from the table) is deleted by `generate` and flagged by the tests
    owned: bool = False

    def files(self, settings: Settings) -> dict[str, str]:
        found: dict[str, str] = load_attr(self.generator)(settings)
        return found


ARTIFACTS: Final[dict[str, Artifact]] = {
    "permissions": Artifact(
        "docs", "jobs.core.deploy.permissions_doc:files", "docs/permissions.md: every job's IAM, RBAC and Vault policy"
    ),
    "cronjobs": Artifact(
        "cronjobs",
        "jobs.core.deploy.manifests:files",
        "cronjobs/: a kustomize base (CronJobs, Indexed Jobs for shards, ServiceAccounts, RBAC) and overlays",
        owned=True,
    ),
    "lambda": Artifact(
        "lambda", "jobs.core.deploy.sam:files", "lambda/template.yaml: the SAM template, a function per job, schedules"
    ),
}


def render(names: Mapping[str, Artifact], settings: Settings, root: Path) -> dict[Path, str]:
    """Every file of `names` under `root`, by its full path."""
    return {root / a.folder / rel: text for a in names.values() for rel, text in sorted(a.files(settings).items())}


def leftovers(names: Mapping[str, Artifact], files: Mapping[Path, str], root: Path) -> list[Path]:
    """Files in an owned folder that the generators no longer write."""
    found = []
    for artifact in names.values():
        folder = root / artifact.folder
        if artifact.owned and folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.is_file() and p not in files)
    return found


def write(files: Mapping[Path, str]) -> list[Path]:
    """Write those that differ (a regenerated tree keeps its timestamps); the paths written."""
    written = []
    for path, text in files.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
