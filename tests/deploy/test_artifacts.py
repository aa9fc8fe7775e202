"""Every committed deployment artifact is what its generator writes today: regenerate each
from the example settings and diff, so nobody edits generated YAML by hand and a job added to
the table shows up in every artifact (or this test says which file is stale)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from jobs.core.cli import main
from jobs.core.deploy import artifacts, declared

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(artifacts.ARTIFACTS))
def test_the_committed_artifact_is_what_the_generator_writes(name: str) -> None:
    artifact = artifacts.ARTIFACTS[name]
    placed = artifacts.place(artifact, declared.read(ROOT / artifacts.EXAMPLE_CONFIG), ROOT / artifact.folder)
    assert placed.files, f"{name} generates no file"
    stale = [str(p.relative_to(ROOT)) for p, text in placed.files.items() if not p.is_file() or p.read_text() != text]
    assert stale == [], f"stale: run `python -m jobs generate` and commit {stale}"
    extra = [str(p.relative_to(ROOT)) for p in placed.leftovers]
    assert extra == [], f"no longer generated: run `python -m jobs generate` and commit the removal of {extra}"


def generate(root: Path, config: Path) -> tuple[int, str]:
    out = io.StringIO()
    return main(["generate", "--root", str(root), "--config", str(config)], out), out.getvalue()


def test_generate_writes_every_artifact_into_an_empty_root_and_rewrites_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    config = ROOT / artifacts.EXAMPLE_CONFIG
    assert generate(tmp_path, config)[0] == 0
    code, out = generate(tmp_path, config)
    assert code == 0 and " 0 changed" in out, out
    for artifact in artifacts.ARTIFACTS.values():
        assert (tmp_path / artifact.folder).is_dir()


def test_regenerating_removes_what_the_owned_folder_no_longer_gets_and_keeps_the_operators_files(
    tmp_path: Path,
) -> None:
    """A job removed from the table leaves no CronJob behind; an overlay the operator edited or
    added, and a file beside a shared artifact (lambda/handler.py), are never touched."""
    config = ROOT / artifacts.EXAMPLE_CONFIG
    assert generate(tmp_path, config)[0] == 0
    cronjobs = artifacts.ARTIFACTS["cronjobs"]
    base = tmp_path / cronjobs.folder
    gone = base / (cronjobs.owned or "") / "jobs" / "removed-job.yaml"
    edited = next(p for p in sorted(base.rglob("*.yaml")) if cronjobs.is_seed(str(p.relative_to(base))))
    added = base / cronjobs.seeds[0] / "staging" / "kustomization.yaml"
    shared = next(a.folder for a in artifacts.ARTIFACTS.values() if a.owned is None)
    mine = tmp_path / shared / "handwritten.md"
    for path, text in ((gone, "kind: CronJob\n"), (edited, "# my overlay\n"), (added, "resources: []\n"),
                       (mine, "# mine\n")):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    code, out = generate(tmp_path, config)
    assert code == 0 and "1 no longer generated removed" in out, out
    assert not gone.exists()
    assert edited.read_text() == "# my overlay\n" and added.read_text() == "resources: []\n"
    assert mine.read_text() == "# mine\n"
