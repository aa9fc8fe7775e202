"""A whole run over a GitLab group: listed through the API fake, cloned over real git
http-backend into the cache, history read there; the token in no output, cache or state."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fakes.gitlab import TOKEN, FakeGitLab
from tests.repo_scanner.gitrepos import commit, git, init
from tests.repo_scanner.history.engines import KEY_1
from tests.repo_scanner.running import config, scan


def test_a_gitlab_group_is_scanned_with_history_and_the_token_stays_secret(
    gitlab_server: FakeGitLab, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    work = init(tmp_path / "work")
    leak = commit(work, {"settings.py": f"AWS_ACCESS_KEY_ID = '{KEY_1}'\n"})
    commit(work, {"settings.py": "AWS_ACCESS_KEY_ID = os.environ['AWS_ACCESS_KEY_ID']\n"})
    project = gitlab_server.add_project("platform/edge", "api")
    git(work, "push", "-q", str(gitlab_server.repository(project)), "main")
    gitlab_server.add_project("platform", "archived", archived=True)
    cfg = config(tmp_path, history=True, gitlab={"url": gitlab_server.url, "token": TOKEN, "groups": ["platform"]})
    result = scan(cfg)
    secrets = [(f["resource"], f["details"]["commit"]) for f in result["findings"] if f["type"] == "secret"]
    assert secrets == [("repo:platform/edge/api:settings.py:1", leak)]
    assert list(result["summary"]["repositories"]) == ["platform/edge/api"]
    again = scan(cfg)
    assert again["summary"]["repositories"]["platform/edge/api"]["history_commits"] == 0
    assert [f["resource"] for f in again["findings"] if f["type"] == "secret"] == [secrets[0][0]]
    assert all(TOKEN not in text for text in (str(result), str(again), caplog.text))
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leaked == [tmp_path / "settings.yaml"]  # where the operator wrote it, nowhere else
