"""History in whole runs of the job, with the real secrets engine: the watermark moves only
when a real run records, a later run reads no commit again and still reports what it found."""

from __future__ import annotations

from pathlib import Path

from jobs.core.state.engine import StateStore
from jobs.repo_scanner import history_store
from tests.repo_scanner.gitrepos import commit, git, init
from tests.repo_scanner.history.engines import KEY_1
from tests.repo_scanner.running import config, scan


def history_findings(result: dict[str, object]) -> list[tuple[str, str, str]]:
    found = result["findings"]
    assert isinstance(found, list)
    return sorted((f["resource"], f["severity"], f["details"]["commit"]) for f in found if f["details"].get("commit"))


def test_a_leak_removed_from_the_tree_is_reported_from_history_run_after_run(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    commit(repo, {"README.md": "app\n"})
    leak = commit(repo, {"deploy/env.sh": f"export AWS_ACCESS_KEY_ID={KEY_1}\n"})
    tip = commit(repo, {"deploy/env.sh": "export AWS_ACCESS_KEY_ID=$FROM_VAULT\n"})
    cfg = config(tmp_path, history=True)
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    dry = scan(cfg, "--repo", str(repo), "--dry-run")
    assert history_findings(dry) == [("repo:app:deploy/env.sh:1", "warning", leak)]
    assert history_store.watermarks(state, "app") == {}  # a dry run moves no watermark
    first = scan(cfg, "--repo", str(repo))
    assert first["summary"]["repositories"]["app"]["history_commits"] == 3
    assert history_store.watermarks(state, "app") == {"main": tip}
    again = scan(cfg, "--repo", str(repo))
    assert again["summary"]["repositories"]["app"]["history_commits"] == 0
    assert history_findings(again) == [("repo:app:deploy/env.sh:1", "warning", leak)]  # from the store
    assert KEY_1 not in str(again) and KEY_1 not in (tmp_path / "state.db").read_bytes().decode("latin-1")


def test_since_scans_the_range_in_a_run_without_history_configured(tmp_path: Path) -> None:
    repo = init(tmp_path / "app")
    before = commit(repo, {"a.txt": "a\n"})
    pushed = commit(repo, {"ci.yml": f"aws_access_key_id: {KEY_1}\n"})
    commit(repo, {"ci.yml": "aws_access_key_id: ${AWS_KEY}\n"})
    result = scan(config(tmp_path), "--repo", str(repo), "--since", before)
    assert [f[2] for f in history_findings(result)] == [pushed]
    assert result["summary"]["repositories"]["app"]["history_commits"] == 2
    assert history_store.watermarks(StateStore(f"sqlite:///{tmp_path / 'state.db'}"), "app") == {}


def test_a_secret_in_a_non_utf8_file_name_is_reported_run_after_run_without_a_crash(tmp_path: Path) -> None:
    """The name is not UTF-8 (latin-1 é): the file is read by its real name, the finding, the
    alert state, SARIF and the history store name it `caf\\xe9.py`."""
    repo = init(tmp_path / "app")
    commit(repo, {b"caf\xe9.py": f"AWS_ACCESS_KEY_ID = '{KEY_1}'\n"})
    cfg = config(tmp_path, history=True)
    for run in ("first", "again"):
        result = scan(cfg, "--repo", str(repo), "--sarif", str(tmp_path / f"{run}.sarif"))
        assert result["exit_code"] == 0 and result["errors"] == [], run
        assert [f["resource"] for f in result["findings"] if f["type"] == "secret"] == ["repo:app:caf\\xe9.py:1"]
        assert "caf\\\\xe9.py" in (tmp_path / f"{run}.sarif").read_text()
    (stored,) = history_store.stored_hits(StateStore(f"sqlite:///{tmp_path / 'state.db'}"), "app")
    assert stored.path == "caf\\xe9.py"


def test_a_shallow_checkout_reads_what_it_has_and_moves_no_watermark_until_unshallowed(tmp_path: Path) -> None:
    """CI checkouts are shallow: a watermark at the tip would skip the cut-off history for good
    once the clone is deepened. The run says so (partial) and the full history is read later."""
    origin = init(tmp_path / "origin")
    leak = commit(origin, {"deploy/env.sh": f"export AWS_ACCESS_KEY_ID={KEY_1}\n"})
    commit(origin, {"deploy/env.sh": "export AWS_ACCESS_KEY_ID=$FROM_VAULT\n"})
    commit(origin, {"README.md": "app\n"})
    shallow = tmp_path / "app"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    cfg = config(tmp_path, history=True)
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    cut = scan(cfg, "--repo", str(shallow))
    assert cut["exit_code"] == 1 and any("shallow clone" in e["message"] for e in cut["errors"])
    assert history_store.watermarks(state, "app") == {}
    git(shallow, "fetch", "-q", "--unshallow")
    full = scan(cfg, "--repo", str(shallow))
    assert full["exit_code"] == 0, full["errors"]
    assert [c for _, _, c in history_findings(full)] == [leak]
