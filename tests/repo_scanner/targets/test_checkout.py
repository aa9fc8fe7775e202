"""Local targets made readable: working trees as they are, plain folders, bare repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobs.core.errors import ConfigError, PermanentError
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings, TargetSettings
from jobs.repo_scanner.targets import command_line, configured
from jobs.repo_scanner.targets.checkout import checked_out
from tests.repo_scanner.gitrepos import commit, context, git, init, state_store

LATIN1_NAME = b"caf\xe9.txt"  # not UTF-8: a file name as an old Windows tool wrote it


def test_a_working_tree_is_scanned_as_it_is_without_ignored_files_symlinks_or_git(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    head = commit(repo, {".gitignore": "build/\n", "src/app.py": "x = 1\n", LATIN1_NAME: "bonjour\n"})
    (repo / "notes.txt").write_text("untracked, not ignored\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("ignored\n")
    (repo / "link.py").symlink_to("/etc/passwd")
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("app", path=str(repo)), ctx.job_settings, ctx) as checkout:
        assert checkout.root == repo and checkout.head == head
        assert checkout.files == [".gitignore", "caf\udce9.txt", "notes.txt", "src/app.py"]
        assert (checkout.root / checkout.files[1]).read_text() == "bonjour\n"  # a non-UTF-8 name opens
        assert checkout.git_dir == repo / ".git" and checkout.tips == {"main": head}


def test_a_folder_that_is_not_a_repository_is_walked_even_inside_one(tmp_path: Path) -> None:
    outer = init(tmp_path / "outer")
    commit(outer, {"README": "outer\n"})
    plain = outer / "vendor" / "lib"
    (plain / ".git").mkdir(parents=True)  # a folder named .git that is no repository: skipped
    (plain / ".git" / "HEAD.txt").write_text("not git\n")
    (plain / "a.py").write_text("a\n")
    (plain / "sub").mkdir()
    (plain / "sub" / "b.py").write_text("b\n")
    (plain / "up").symlink_to(outer, target_is_directory=True)
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("lib", path=str(plain)), ctx.job_settings, ctx) as checkout:
        assert checkout.files == ["a.py", "sub/b.py"]
        assert checkout.head is None and checkout.git_dir is None and checkout.tips == {}


def test_an_empty_repository_has_no_head_and_no_tips(tmp_path: Path) -> None:
    repo = init(tmp_path / "empty")
    (repo / "draft.txt").write_text("not committed yet\n")
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("empty", path=str(repo)), ctx.job_settings, ctx) as checkout:
        assert checkout.files == ["draft.txt"] and checkout.head is None and checkout.tips == {}


def test_a_bare_repository_is_exported_blob_by_blob_and_the_export_removed(tmp_path: Path) -> None:
    work = init(tmp_path / "work")
    commit(work, {"a.txt": "one\n", ".gitattributes": "secret.env export-ignore\n", "secret.env": "K=v\n"})
    (work / "link").symlink_to("a.txt")
    head = commit(work, {LATIN1_NAME: "\xe9t\xe9\n", "bin/tool": "#!/bin/sh\n"})
    git(work, "branch", "release")
    bare = tmp_path / "app.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    ctx = context(state_store(tmp_path))
    target = ScanTarget("app", path=str(bare), branches=("main", "release", "gone"))
    with checked_out(target, ctx.job_settings, ctx) as checkout:
        root = checkout.root
        assert root != bare and checkout.head == head and checkout.git_dir == bare
        # export-ignore hides nothing from us; the symlink is not written
        assert checkout.files == [".gitattributes", "a.txt", "bin/tool", "caf\udce9.txt", "secret.env"]
        assert (root / "secret.env").read_text() == "K=v\n" and not (root / "link").exists()
        assert (root / os.fsdecode(LATIN1_NAME)).read_text() == "\xe9t\xe9\n"
        assert checkout.tips == {"main": head, "release": head}  # "gone" is left to history to report
    assert not root.exists()


def test_an_empty_bare_repository_exports_nothing(tmp_path: Path) -> None:
    bare = init(tmp_path / "void.git", bare=True)
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("void", path=str(bare)), ctx.job_settings, ctx) as checkout:
        assert checkout.files == [] and checkout.head is None and checkout.tips == {}


def test_a_detached_head_as_ci_checks_out_is_scanned_as_head(tmp_path: Path) -> None:
    repo = init(tmp_path / "ci")
    first = commit(repo, {"a": "1\n"})
    commit(repo, {"a": "2\n"})
    git(repo, "checkout", "-q", "--detach", first)
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("ci", path=str(repo)), ctx.job_settings, ctx) as checkout:
        assert checkout.head == first and checkout.tips == {"HEAD": first}


def test_a_configured_branch_only_ci_has_as_origin_branch_is_found(tmp_path: Path) -> None:
    upstream = init(tmp_path / "upstream")
    tip = commit(upstream, {"a": "1\n"})
    git(upstream, "branch", "develop")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("c", path=str(clone), branches=("develop",)), ctx.job_settings, ctx) as checkout:
        assert checkout.tips == {"develop": tip}


def test_a_repository_config_runs_no_hook_and_no_fsmonitor_of_its_own(tmp_path: Path) -> None:
    repo = init(tmp_path / "hostile")
    commit(repo, {"a": "1\n"})
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(script))
    git(repo, "config", "core.hooksPath", str(tmp_path))
    ctx = context(state_store(tmp_path))
    with checked_out(ScanTarget("hostile", path=str(repo)), ctx.job_settings, ctx) as checkout:
        assert checkout.files == ["a"]
    assert not marker.exists()


def test_a_configured_folder_that_vanished_is_that_repositorys_error_not_a_crash(tmp_path: Path) -> None:
    cfg = RepoScannerSettings(targets=[TargetSettings(path=str(tmp_path / "gone"))])
    ctx = context(state_store(tmp_path), cfg)
    listed = configured.discover(cfg, ctx)
    assert [t.name for t in listed.items] == ["gone"] and listed.errors == []
    with pytest.raises(PermanentError, match=r"gone: no such directory"), checked_out(listed.items[0], cfg, ctx):
        pass


def test_two_configured_targets_of_one_name_are_a_settings_error(tmp_path: Path) -> None:
    cfg = RepoScannerSettings(
        targets=[TargetSettings(path="/srv/a/app"), TargetSettings(url="https://git.example.test/b/app.git")]
    )
    with pytest.raises(ConfigError, match=r"two targets are named 'app': give one a `name`"):
        configured.discover(cfg, context(state_store(tmp_path), cfg))


def test_repo_options_get_unique_names_and_the_same_folder_twice_is_scanned_once(tmp_path: Path) -> None:
    for folder in ("a/app", "b/app", "tools"):
        (tmp_path / folder).mkdir(parents=True)
    ctx = context(state_store(tmp_path), repo=["a/app", "b/app", "./a/app", "tools", "b/app/"])
    found = command_line.discover(ctx.job_settings, ctx)
    assert [(t.name, t.path, t.source) for t in found.items] == [
        ("app", "a/app", "cli"),
        ("b/app", "b/app", "cli"),
        ("tools", "tools", "cli"),
    ]
    with pytest.raises(ConfigError, match=r"--repo missing: not a directory"):
        command_line.discover(ctx.job_settings, context(ctx.state, repo=["missing"]))
