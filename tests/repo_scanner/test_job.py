"""repo-scanner end to end through the command-line path, on real git repositories: the exit
codes the CONTRACT promises (0 a completed run, 4 the --fail-on gate, 1 a scanner or a
repository that could not be read, 2 a bad setting named), shards that split the repositories,
--target, and a repository that cannot be read while the others are still scanned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobs.core.registry import JOBS
from jobs.demo.planting import aws_key_pair, new_repo
from tests.helpers import run_cli, write_config

SPEC = JOBS["repo-scanner"]
GPL = json.dumps({"name": "gpl-thing", "version": "1.0.0", "license": "GPL-3.0-only"})


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    repo = new_repo(root)
    repo.commit({"README.md": f"# {root.name}\n", "LICENSE": "MIT License\n", **(files or {})}, "first")
    return root


def configure(tmp_path: Path, section: dict[str, Any], **top: Any) -> str:
    settings = {
        "state_db_url": f"sqlite:///{tmp_path / 'state.db'}",
        "notifications": {"file": {"path": str(tmp_path / "outbox.jsonl")}},
        "log_level": "warning",
        "repo_scanner": {"scanners": {"sast": {"enabled": False}}, **section},
        **top,
    }
    return write_config(tmp_path / "secops.yaml", settings)


def targets(*paths: Path) -> dict[str, Any]:
    return {"targets": [{"path": str(p), "name": p.name} for p in paths]}


def scanned(result: dict[str, Any]) -> list[str]:
    return sorted(result["summary"]["repositories"])


def test_a_completed_run_exits_0_with_findings_and_4_when_they_reach_fail_on(tmp_path: Path) -> None:
    app = make_repo(tmp_path / "app", {"node_modules/gpl-thing/package.json": GPL})
    config = configure(tmp_path, targets(app))
    result = run_cli(SPEC, ["--config", config])
    assert (result["exit_code"], result["status"]) == (0, "success")
    [denied] = [f for f in result["findings"] if f["type"] == "license"]
    assert denied["severity"] == "warning" and denied["resource"].startswith("repo:app:node_modules/gpl-thing/")
    assert run_cli(SPEC, ["--config", config, "--fail-on", "warning"])["exit_code"] == 4
    assert run_cli(SPEC, ["--config", config, "--fail-on", "critical"])["exit_code"] == 0


def test_a_clean_repository_exits_0_even_with_fail_on(tmp_path: Path) -> None:
    app = make_repo(tmp_path / "app", {"app.py": "print('hello')\n"})
    result = run_cli(SPEC, ["--config", configure(tmp_path, targets(app)), "--fail-on", "info"])
    assert (result["exit_code"], result["status"]) == (0, "success")
    assert result["findings"] == []


def test_a_scanner_that_cannot_run_makes_the_run_partial_and_exit_1(tmp_path: Path) -> None:
    app = make_repo(tmp_path / "app", {"requirements.txt": "pyyaml==5.3.1\n"})
    missing = tmp_path / "no-osv-here"
    config = configure(tmp_path, {**targets(app), "scanners": {"sast": {"enabled": False},
                                                              "dependencies": {"osv_db": str(missing)}}})  # fmt: skip
    result = run_cli(SPEC, ["--config", config])
    assert (result["exit_code"], result["status"]) == (1, "partial")
    assert [e["source"] for e in result["errors"]] == ["dependencies:osv_db"]
    assert "not checked" in result["summary"]["repositories"]["app"]["scanners"]["dependencies"]


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"scanners": {"secrets": {"max_file_bytes": 0}}}, "repo_scanner.scanners.secrets.max_file_bytes"),
        ({"targets": [{"name": "x"}]}, "repo_scanner.targets.0"),
        ({"histroy": True}, "repo_scanner.histroy"),
        ({"push": {"gitlab_token": "too-short"}}, "repo_scanner.push.gitlab_token"),
    ],
)
def test_a_bad_setting_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               section: dict[str, Any], named: str) -> None:  # fmt: skip
    result = run_cli(SPEC, ["--config", configure(tmp_path, section)])
    assert result["exit_code"] == 2
    assert named in capsys.readouterr().err


def test_nothing_to_scan_and_an_unknown_target_are_configuration_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(SPEC, ["--config", configure(tmp_path, {})])["exit_code"] == 2
    assert "nothing to scan" in capsys.readouterr().err
    app = make_repo(tmp_path / "app")
    assert run_cli(SPEC, ["--config", configure(tmp_path, targets(app)), "--target", "nope"])["exit_code"] == 2
    assert "--target nope: no such target (known: app)" in capsys.readouterr().err


def test_shards_split_the_repositories_and_target_keeps_only_those_named(tmp_path: Path) -> None:
    repos = [make_repo(tmp_path / name) for name in ("alpha", "bravo", "charlie", "delta", "echo")]
    config = configure(tmp_path, targets(*repos))
    first = scanned(run_cli(SPEC, ["--config", config, "--shard", "0/2"]))
    second = scanned(run_cli(SPEC, ["--config", config, "--shard", "1/2"]))
    assert sorted(first + second) == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert not set(first) & set(second) and first and second
    only = run_cli(SPEC, ["--config", config, "--target", "bravo", "--target", "delta"])
    assert scanned(only) == ["bravo", "delta"]


def test_one_unreadable_repository_is_an_error_and_the_others_are_still_scanned(tmp_path: Path) -> None:
    key_id, secret = aws_key_pair()
    good = make_repo(tmp_path / "good", {"node_modules/gpl-thing/package.json": GPL})
    gone = tmp_path / "gone"
    config = configure(tmp_path, targets(good, gone))
    result = run_cli(SPEC, ["--config", config])
    assert (result["exit_code"], result["status"]) == (1, "partial")
    assert [e["source"] for e in result["errors"]] == ["repo:gone"]
    assert [f["resource"].split(":")[1] for f in result["findings"]] == ["good"]
    assert scanned(result) == ["gone", "good"]
    assert secret not in json.dumps(result) and key_id not in json.dumps(result)


def test_repo_on_the_command_line_replaces_the_configured_targets(tmp_path: Path) -> None:
    configured = make_repo(tmp_path / "configured")
    ci = make_repo(tmp_path / "checkout", {"node_modules/gpl-thing/package.json": GPL})
    result = run_cli(SPEC, ["--config", configure(tmp_path, targets(configured)), "--repo", str(ci)])
    assert scanned(result) == ["checkout"] and result["exit_code"] == 0
