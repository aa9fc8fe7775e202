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
    settings = declared.read(ROOT / artifacts.EXAMPLE_CONFIG)
    files = artifacts.render({name: artifacts.ARTIFACTS[name]}, settings, ROOT)
    assert files, f"{name} generates no file"
    stale = [str(p.relative_to(ROOT)) for p, text in files.items() if not p.is_file() or p.read_text() != text]
    assert stale == [], f"stale: run `python -m jobs generate` and commit {stale}"
    extra = [str(p.relative_to(ROOT)) for p in artifacts.leftovers({name: artifacts.ARTIFACTS[name]}, files, ROOT)]
    assert extra == [], f"no longer generated: run `python -m jobs generate` and commit the removal of {extra}"
    folder = ROOT / artifacts.ARTIFACTS[name].folder
    generated = {p for p in files if p.parent == folder or folder in p.parents}
    assert generated == set(files)


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


def test_generate_removes_a_file_an_owned_folder_no_longer_gets_and_leaves_other_folders_alone(
    tmp_path: Path,
) -> None:
    config = ROOT / artifacts.EXAMPLE_CONFIG
    owned = next(a.folder for a in artifacts.ARTIFACTS.values() if a.owned)
    shared = next(a.folder for a in artifacts.ARTIFACTS.values() if not a.owned)
    (tmp_path / owned / "base").mkdir(parents=True)
    (tmp_path / shared).mkdir(parents=True, exist_ok=True)
    gone, kept = tmp_path / owned / "base" / "removed-job.yaml", tmp_path / shared / "handwritten.md"
    gone.write_text("kind: CronJob\n")
    kept.write_text("# mine\n")
    code, out = generate(tmp_path, config)
    assert code == 0 and "1 no longer generated removed" in out, out
    assert not gone.exists() and kept.read_text() == "# mine\n"


def test_a_settings_file_that_does_not_validate_is_one_line_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ttl_teardown: {max_ttl_days: -1}\n")
    assert generate(tmp_path / "out", bad)[0] == 2
    err = capsys.readouterr().err
    assert "max_ttl_days" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
