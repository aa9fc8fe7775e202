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


def test_regenerating_removes_only_what_it_wrote_before_and_keeps_the_operators_files(tmp_path: Path) -> None:
    """A job removed from the table leaves no CronJob behind (its file is in the folder's index);
    a file the operator put in an owned folder, an overlay they edited or added, and a file
    beside a shared artifact are never touched."""
    config = ROOT / artifacts.EXAMPLE_CONFIG
    assert generate(tmp_path, config)[0] == 0
    cronjobs = artifacts.ARTIFACTS["cronjobs"]
    owned = tmp_path / cronjobs.folder / (cronjobs.owned or "")
    gone, theirs = owned / "jobs" / "removed-job.yaml", owned / "apps" / "web.yaml"
    index = owned / artifacts.INDEX
    index.write_text(index.read_text() + "jobs/removed-job.yaml\n../../outside.txt\n")  # as a release wrote it
    base = tmp_path / cronjobs.folder
    edited = next(p for p in sorted(base.rglob("*.yaml")) if cronjobs.is_seed(str(p.relative_to(base))))
    added = base / cronjobs.seeds[0] / "staging" / "kustomization.yaml"
    shared = next(a.folder for a in artifacts.ARTIFACTS.values() if a.owned is None)
    mine, outside = tmp_path / shared / "handwritten.md", tmp_path / "outside.txt"
    for path, text in ((gone, "kind: CronJob\n"), (theirs, "kind: Deployment\n"), (edited, "# my overlay\n"),
                       (added, "resources: []\n"), (mine, "# mine\n"), (outside, "keep\n")):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    code, out = generate(tmp_path, config)
    assert code == 0 and "1 no longer generated removed" in out, out
    assert not gone.exists()
    assert theirs.read_text() == "kind: Deployment\n" and outside.read_text() == "keep\n"
    assert edited.read_text() == "# my overlay\n" and added.read_text() == "resources: []\n"
    assert mine.read_text() == "# mine\n"


@pytest.mark.parametrize("where", ["a-symlinked-folder", "a-symlinked-file", "a-file-as-folder", "output-is-a-file"])
def test_nothing_is_written_through_a_symlink_or_into_a_file_and_the_message_is_one_line(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, root, victim = ROOT / artifacts.EXAMPLE_CONFIG, tmp_path / "root", tmp_path / "victim"
    victim.mkdir()
    (victim / "important.txt").write_text("keep\n")
    cronjobs = artifacts.ARTIFACTS["cronjobs"]
    base = root / cronjobs.folder / (cronjobs.owned or "")
    base.parent.mkdir(parents=True)
    if where == "a-symlinked-folder":
        base.symlink_to(victim, target_is_directory=True)
    elif where == "a-symlinked-file":
        (base / "jobs").mkdir(parents=True)
        (base / "jobs" / "config.yaml").symlink_to(victim / "important.txt")
    elif where == "a-file-as-folder":
        base.write_text("not a folder\n")
    else:
        root = tmp_path / "root-file"
        root.write_text("a file\n")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert generate(root, config)[0] == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing written anywhere
    assert (victim / "important.txt").read_text() == "keep\n"


def test_a_secops_variable_in_the_shell_is_named_when_it_shapes_what_is_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECOPS_SECRET_ROTATION__DRY_RUN", "true")
    assert generate(tmp_path, ROOT / artifacts.EXAMPLE_CONFIG)[0] == 0
    err = capsys.readouterr().err
    assert "SECOPS_SECRET_ROTATION__DRY_RUN" in err and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("SECOPS_SECRET_ROTATION__DRY_RUN")
    assert generate(tmp_path / "quiet", ROOT / artifacts.EXAMPLE_CONFIG)[0] == 0
    assert "SECOPS_" not in capsys.readouterr().err
