"""History: each branch's unscanned commits from its watermark, rewrites, merges, --since."""

from __future__ import annotations

import os
import time
from pathlib import Path

from jobs.core.state.engine import StateStore
from jobs.repo_scanner import history_store
from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.history import HistoryScan, scan_with
from jobs.repo_scanner.model import BranchProgress, ScanTarget
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.settings import RepoScannerSettings
from jobs.repo_scanner.targets.checkout import checked_out
from tests.repo_scanner.gitrepos import commit, context, fast_import, git, init, state_store
from tests.repo_scanner.history.engines import KEY_1, KEY_2, KEY_3, TinyEngine

ENV = ScanEnv(RepoScannerSettings(history=True), Fingerprinter())


def scan(repo: Path, state: StateStore, since: str | None = None, **target: object) -> HistoryScan:
    found = ScanTarget(str(target.pop("name", "app")), path=str(repo), **target)  # type: ignore[arg-type]
    ctx = context(state, ENV.cfg)
    with checked_out(found, ENV.cfg, ctx) as checkout:
        return scan_with(TinyEngine(), checkout, ENV, state, since)


def recorded(repo: Path, state: StateStore, **target: object) -> HistoryScan:
    """A scan whose hits and watermarks are stored, as the record_history action does."""
    found = scan(repo, state, **target)
    history_store.record(state, ScanTarget(str(target.get("name", "app"))), found.progress, found.hits)
    return found


def where(found: HistoryScan) -> list[tuple[str, int, str | None]]:
    return sorted((h.path, h.line, h.commit) for h in found.hits)


def test_a_secret_added_then_removed_is_found_in_the_commit_that_added_it(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    first = commit(repo, {"config.py": "DEBUG = True\n"})
    leak = commit(repo, {"config.py": f"DEBUG = True\nREGION = 'eu'\nKEY = '{KEY_1}'\n"})
    gone = commit(repo, {"config.py": "DEBUG = True\nREGION = 'eu'\n"})
    found = scan(repo, state_store(tmp_path))
    (hit,) = found.hits
    assert (hit.path, hit.line, hit.commit, hit.author) == ("config.py", 3, leak, "Ada Dev <ada@example.test>")
    assert hit.date is not None and hit.date.endswith("+00:00") and hit.redacted == "AKIA…(20 chars)"
    assert KEY_1 not in repr(hit)
    assert found.progress == [BranchProgress("main", gone, None)]
    assert found.stats["history_commits"] == 3 and found.errors == [] and first != leak


def test_the_watermark_makes_the_next_run_read_only_new_commits(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    leak = commit(repo, {"a.env": f"AWS={KEY_1}\n"})
    tip = commit(repo, {"b.txt": "b\n"})
    state = state_store(tmp_path)
    first = recorded(repo, state)
    assert first.stats["history_commits"] == 2
    again = scan(repo, state)
    assert again.stats["history_commits"] == 0 and again.hits == [] and again.progress == []
    assert [(h.path, h.line, h.commit) for h in again.stored] == [("a.env", 1, leak)]
    newer = commit(repo, {"c.txt": f"x\n{KEY_2}\n"})
    third = scan(repo, state)
    assert third.stats["history_commits"] == 1 and where(third) == [("c.txt", 2, newer)]
    assert third.progress == [BranchProgress("main", newer, tip)]


def test_a_dry_run_moves_no_watermark_so_the_next_run_reads_the_same_commits(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"a.env": f"AWS={KEY_1}\n"})
    state = state_store(tmp_path)
    assert scan(repo, state).stats["history_commits"] == 1  # nothing recorded: a dry run
    assert scan(repo, state).stats["history_commits"] == 1


def test_a_commit_on_several_branches_is_read_once_and_each_branch_moves(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    shared = commit(repo, {"shared.txt": f"{KEY_1}\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    feature = commit(repo, {"feature.txt": f"{KEY_2}\n"})
    git(repo, "checkout", "-q", "main")
    main = commit(repo, {"main.txt": "clean\n"})
    found = scan(repo, state_store(tmp_path), branches=("main", "feature", "nope"))
    assert found.stats["history_commits"] == 3  # shared once, not twice
    assert where(found) == sorted([("shared.txt", 1, shared), ("feature.txt", 1, feature)])
    assert sorted(found.progress, key=lambda p: p.branch) == [
        BranchProgress("feature", feature, None),
        BranchProgress("main", main, None),
    ]
    assert [e.message for e in found.errors] == ["branch 'nope': not in the repository"]


def test_a_force_push_is_rescanned_from_the_merge_base_and_rewritten_hits_drop_out(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    base = commit(repo, {"a.txt": "base\n"})
    commit(repo, {"leak.txt": f"{KEY_1}\n"})
    old_tip = commit(repo, {"b.txt": "b\n"})
    state = state_store(tmp_path)
    assert len(recorded(repo, state).hits) == 1
    git(repo, "reset", "-q", "--hard", base)  # the leak is rewritten away, another one comes
    new = commit(repo, {"other.txt": f"x\n{KEY_2}\n"})
    found = scan(repo, state)
    assert found.progress == [BranchProgress("main", new, old_tip, rewritten=True)]
    assert found.stats["history_commits"] == 1 and found.stats["history_rewritten"] == 1
    assert where(found) == [("other.txt", 2, new)]
    assert found.stored == []  # the old leak's commit is on no branch any more


def test_a_merge_is_read_against_its_first_parent_so_an_evil_merge_is_caught(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"app.py": "a = 1\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    side = commit(repo, {"feature.py": f"K = '{KEY_1}'\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.py": "m = 1\n"})
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "feature")
    (repo / "app.py").write_text(f"a = 1\nK2 = '{KEY_2}'\n")  # added by the merge itself
    merge = commit(repo, {}, "merge feature")
    found = scan(repo, state_store(tmp_path))
    assert found.stats["history_commits"] == 4
    assert where(found) == sorted([("feature.py", 1, side), ("feature.py", 1, merge), ("app.py", 2, merge)])
    fingerprints = {h.commit: h.fingerprint for h in found.hits if h.path == "feature.py"}
    assert fingerprints[side] == fingerprints[merge]  # one finding after the plan's dedup


def test_since_scans_exactly_the_range_and_moves_no_watermark(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"old.txt": f"{KEY_1}\n"})
    before = commit(repo, {"x": "x\n"})
    pushed = commit(repo, {"new.txt": f"{KEY_2}\n"})
    after = commit(repo, {"later.txt": f"{KEY_3}\n"})
    state = state_store(tmp_path)
    found = scan(repo, state, since=before)
    assert where(found) == sorted([("new.txt", 1, pushed), ("later.txt", 1, after)])
    assert found.progress == [] and history_store.watermarks(state, "app") == {}
    push = scan(repo, state, since=before, until=pushed)
    assert where(push) == [("new.txt", 1, pushed)] and push.stats["history_commits"] == 1
    created = scan(repo, state, since="0" * 40, until=pushed)  # a push that created the branch
    assert created.stats["history_commits"] == 3
    unknown = scan(repo, state, since="deadbeef")
    assert [e.message for e in unknown.errors] == ["--since deadbeef: no such commit in the repository"]
    option = scan(repo, state, since="--output=/tmp/x")
    assert [e.message for e in option.errors] == ["--since --output=/tmp/x: no such commit in the repository"]


def test_binary_patches_are_skipped_and_counted(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"blob.bin": f"\x00\x01{KEY_1}\x00".encode(), "text.txt": f"{KEY_2}\n"})
    found = scan(repo, state_store(tmp_path))
    assert [h.path for h in found.hits] == ["text.txt"] and found.stats["history_binary_skipped"] == 1


def test_a_huge_added_file_is_skipped_and_counted(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"dump.sql": f"{KEY_1}\n" + "x" * 200 + "\n", "small.txt": f"{KEY_2}\n"})
    cfg = RepoScannerSettings.model_validate({"history": True, "scanners": {"secrets": {"max_file_bytes": 100}}})
    ctx = context(state := state_store(tmp_path), cfg)
    with checked_out(ScanTarget("app", path=str(repo)), cfg, ctx) as checkout:
        found = scan_with(TinyEngine(), checkout, ScanEnv(cfg, Fingerprinter()), state, None)
    assert [h.path for h in found.hits] == ["small.txt"] and found.stats["history_huge_skipped"] == 1


def test_a_non_utf8_file_name_is_found_stored_and_read_back(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {b'caf\xe9 "x".env': f"{KEY_1}\n"})
    state = state_store(tmp_path)
    found = recorded(repo, state)
    assert [h.path for h in found.hits] == [os.fsdecode(b'caf\xe9 "x".env')]
    (stored,) = history_store.stored_hits(state, "app")
    assert stored.path == 'caf\\xe9 "x".env' and stored.fingerprint == found.hits[0].fingerprint


def test_empty_bare_and_shallow_repositories(tmp_path: Path) -> None:
    state = state_store(tmp_path)
    empty = scan(init(tmp_path / "empty"), state, name="empty")
    assert empty.stats["history_commits"] == 0 and empty.errors == [] and empty.progress == []
    work = init(tmp_path / "work")
    commit(work, {"a.txt": f"{KEY_1}\n"})
    tip = commit(work, {"b.txt": f"{KEY_2}\n"})
    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "bare.git"))
    bare = scan(tmp_path / "bare.git", state, name="bare")
    assert len(bare.hits) == 2 and bare.progress == [BranchProgress("main", tip, None)]
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{work}", str(tmp_path / "shallow"))
    shallow = scan(tmp_path / "shallow", state, name="shallow")  # the boundary commit: all its files
    assert shallow.stats["history_commits"] == 1 and len(shallow.hits) == 2
    assert [e.source for e in shallow.errors] == ["history:shallow"] and shallow.progress == []  # no watermark


def test_a_folder_without_git_has_no_history_and_since_says_so(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    state = state_store(tmp_path)
    assert scan(tmp_path / "plain", state).stats == {}
    assert [e.message for e in scan(tmp_path / "plain", state, since="HEAD~1").errors] == [
        "--since HEAD~1: not a git repository"
    ]


def test_an_unchanged_repository_of_a_thousand_commits_is_rescanned_in_under_a_second(tmp_path: Path) -> None:
    repo = init(tmp_path / "big")
    tip = fast_import(repo, 1000, lambda i: f"KEY_{i} = '{KEY_1}'" if i % 100 == 7 else f"value_{i} = {i}")
    state = state_store(tmp_path)
    started = time.perf_counter()
    first = recorded(repo, state)
    first_seconds = time.perf_counter() - started
    assert first.stats["history_commits"] == 1000 and len(first.hits) == 10
    started = time.perf_counter()
    again = scan(repo, state)
    again_seconds = time.perf_counter() - started
    assert again.stats["history_commits"] == 0 and len(again.stored) == 10 and again.progress == []
    print(f"history of 1000 commits: first run {first_seconds:.2f} s, unchanged re-run {again_seconds:.3f} s")
    assert again_seconds < 1.0
    assert history_store.watermarks(state, "app") == {"main": tip}
