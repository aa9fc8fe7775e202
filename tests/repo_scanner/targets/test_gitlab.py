"""GitLab groups through python-gitlab against the fake, and real clones over git http-backend."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from jobs.core.errors import PermanentError
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import GitLabSettings, RepoScannerSettings
from jobs.repo_scanner.targets import gitlab
from jobs.repo_scanner.targets.checkout import checked_out
from jobs.repo_scanner.targets.remote import cache_root, entry_name
from tests.fakes.base import Response
from tests.fakes.gitlab import TOKEN, FakeGitLab
from tests.repo_scanner.gitrepos import commit, context, git, init, state_store


def settings(fake: FakeGitLab, token: str = TOKEN, **gitlab_options: object) -> RepoScannerSettings:
    options: dict[str, object] = {"groups": ["platform"], "per_page": 2, **gitlab_options}
    return RepoScannerSettings(gitlab=GitLabSettings(url=fake.url, token=SecretStr(token), **options))  # type: ignore[arg-type]


def push(fake: FakeGitLab, project_path: str, work: Path) -> None:
    project = next(p for p in fake.projects if p.path_with_namespace == project_path)
    git(work, "push", "-q", str(fake.repository(project)), "+refs/heads/*:refs/heads/*")


def test_every_project_of_the_groups_and_subgroups_is_listed_page_by_page(
    gitlab_server: FakeGitLab, tmp_path: Path
) -> None:
    fake = gitlab_server
    fake.add_project("platform", "api")
    fake.add_project("platform/edge", "proxy", default_branch="develop")
    fake.add_project("platform/edge/deep", "tool")
    fake.add_project("platform", "old", archived=True)
    fake.add_project("platform", "wiki-only", default_branch=None)
    fake.add_project("other", "elsewhere")
    cfg = settings(fake)
    found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
    assert found.errors == []
    assert sorted((t.name, t.url, t.branches, t.source, t.auth) for t in found.items) == [
        ("platform/api", f"{fake.url}/platform/api.git", ("main",), "gitlab", "gitlab"),
        ("platform/edge/deep/tool", f"{fake.url}/platform/edge/deep/tool.git", ("main",), "gitlab", "gitlab"),
        ("platform/edge/proxy", f"{fake.url}/platform/edge/proxy.git", ("develop",), "gitlab", "gitlab"),
        ("platform/wiki-only", f"{fake.url}/platform/wiki-only.git", (), "gitlab", "gitlab"),
    ]
    pages = fake.calls("GET", r"/api/v4/groups/\d+/projects")
    assert [r.query["page"] for r in pages[1:]] == ["2"] and len(pages) == 2  # 4 projects, 2 a page
    assert all(r.query["include_subgroups"].lower() == "true" for r in pages)
    assert all(r.query["archived"].lower() == "false" for r in pages)
    assert all(r.headers["private-token"] == TOKEN for r in fake.requests)


def test_archived_projects_are_listed_when_asked_and_configured_branches_win(
    gitlab_server: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_server.add_project("platform", "api")
    gitlab_server.add_project("platform", "old", archived=True)
    cfg = settings(gitlab_server, include_archived=True, branches=["main", "release"])
    found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
    assert sorted((t.name, t.branches) for t in found.items) == [
        ("platform/api", ("main", "release")),
        ("platform/old", ("main", "release")),
    ]
    assert all("archived" not in r.query for r in gitlab_server.calls("GET", r".*/projects"))


def test_a_group_that_cannot_be_listed_is_an_error_naming_it_and_the_others_are_listed(
    gitlab_server: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_server.add_project("platform", "api")
    gitlab_server.add_project("secret-team", "vault")
    gitlab_server.tokens["glpat-no-api-scope-000000"] = ({"read_repository"}, {"*"})
    gitlab_server.tokens["glpat-platform-only-00000"] = ({"read_api", "read_repository"}, {"platform"})
    cfg = settings(gitlab_server, token="glpat-platform-only-00000", groups=["platform", "secret-team", "nope"])
    found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
    assert [t.name for t in found.items] == ["platform/api"]
    assert [(e.source, e.message) for e in found.errors] == [
        ("gitlab:secret-team", "cannot list the group's projects: 404: 404 Group Not Found"),
        ("gitlab:nope", "cannot list the group's projects: 404: 404 Group Not Found"),
    ]
    for token, said in [
        ("glpat-wrong-token-0000000", "401: 401 Unauthorized"),
        ("glpat-no-api-scope-000000", "403: insufficient_scope"),
    ]:
        cfg = settings(gitlab_server, token=token)
        found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
        assert found.items == [] and [e.source for e in found.errors] == ["gitlab:platform"]
        assert said in found.errors[0].message and "read_api and read_repository" in found.errors[0].message
        assert token not in found.errors[0].message


def test_a_transient_server_error_is_retried_once(gitlab_server: FakeGitLab, tmp_path: Path) -> None:
    gitlab_server.add_project("platform", "api")
    gitlab_server.fail_next("GET", r"/api/v4/groups/\d+/projects", Response(502, {"message": "502 Bad Gateway"}))
    cfg = settings(gitlab_server)
    found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
    assert [t.name for t in found.items] == ["platform/api"] and found.errors == []
    gitlab_server.fail_next("GET", r"/api/v4/groups/\d+/projects", Response(502, {"message": "502 Bad Gateway"}), 2)
    found = gitlab.discover(cfg, context(state_store(tmp_path), cfg))
    assert found.items == [] and [e.source for e in found.errors] == ["gitlab:platform"]


def test_gitlab_needs_no_cloud_grant() -> None:
    assert gitlab.permissions(RepoScannerSettings()) == Permissions()


def test_a_project_is_cloned_with_the_token_as_a_header_and_fetched_next_time(
    gitlab_server: FakeGitLab, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    work = init(tmp_path / "work")
    first = commit(work, {"app.py": "print('v1')\n"})
    gitlab_server.add_project("platform", "api")
    push(gitlab_server, "platform/api", work)
    cfg = settings(gitlab_server).model_copy(update={"cache_dir": str(tmp_path / "cache")})
    ctx = context(state_store(tmp_path), cfg)
    (target,) = gitlab.discover(cfg, ctx).items
    with checked_out(target, cfg, ctx) as checkout:
        assert checkout.files == ["app.py"] and checkout.head == first and checkout.tips == {"main": first}
        assert (checkout.root / "app.py").read_text() == "print('v1')\n"
    cache = tmp_path / "cache" / entry_name(target.url or "")
    assert git(cache, "rev-parse", "--is-shallow-repository") == "true"  # no history wanted: depth 1
    second = commit(work, {"app.py": "print('v2')\n"})
    push(gitlab_server, "platform/api", work)
    with checked_out(target, cfg.model_copy(update={"history": True}), ctx) as checkout:
        assert checkout.head == second and (checkout.root / "app.py").read_text() == "print('v2')\n"
    assert git(cache, "rev-parse", "--is-shallow-repository") == "false"  # history: deepened once
    assert git(cache, "rev-list", "--count", "main") == "2"
    # the token is nowhere: not in the cache's config, not in any file of it, not in a log line
    leaked = [p for p in cache.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leaked == [] and TOKEN not in caplog.text
    assert git(cache, "config", "remote.origin.url") == target.url
    git(work, "checkout", "-q", "-b", "trunk")  # the project's default branch changes
    third = commit(work, {"app.py": "print('trunk')\n"})
    push(gitlab_server, "platform/api", work)
    git(gitlab_server.repository(gitlab_server.projects[0]), "symbolic-ref", "HEAD", "refs/heads/trunk")
    with checked_out(target, cfg, ctx) as checkout:
        assert checkout.head == third and checkout.files == ["app.py"]
    git_requests = gitlab_server.calls(path_regex=r"/platform/api\.git/")
    assert git_requests and all(r.headers["authorization"].startswith("Basic ") for r in git_requests)


def test_a_refused_clone_is_an_error_without_the_token(gitlab_server: FakeGitLab, tmp_path: Path) -> None:
    gitlab_server.add_project("platform", "api")
    cfg = settings(gitlab_server, token="glpat-revoked-000000000000").model_copy(
        update={"cache_dir": str(tmp_path / "cache")}
    )
    ctx = context(state_store(tmp_path), cfg)
    target = ScanTarget("platform/api", url=f"{gitlab_server.url}/platform/api.git", auth="gitlab")
    with pytest.raises(PermanentError) as refused, checked_out(target, cfg, ctx):
        pass
    assert "git clone: fatal: Authentication failed" in str(refused.value)
    assert "glpat-revoked" not in str(refused.value)
    assert list((tmp_path / "cache").iterdir()) == []  # no half clone left for the next run


def test_a_url_with_credentials_is_cloned_without_them_in_the_cache(gitlab_server: FakeGitLab, tmp_path: Path) -> None:
    work = init(tmp_path / "work")
    commit(work, {"a.txt": "a\n"})
    gitlab_server.add_project("platform", "api")
    push(gitlab_server, "platform/api", work)
    host = gitlab_server.url.removeprefix("http://")
    target = ScanTarget("api", url=f"http://deploy:{TOKEN}@{host}/platform/api.git")
    cfg = RepoScannerSettings()
    ctx = context(state_store(tmp_path), cfg)
    with checked_out(target, cfg, ctx) as checkout:
        assert checkout.files == ["a.txt"]
    cache = cache_root(cfg, ctx)
    assert cache == tmp_path / "repo-cache"  # beside the SQLite state DB
    (entry,) = cache.iterdir()
    assert entry.name == entry_name(f"{gitlab_server.url}/platform/api.git")
    assert TOKEN not in (entry / "config").read_text()


def test_a_transient_git_failure_is_retried_once(gitlab_server: FakeGitLab, tmp_path: Path) -> None:
    work = init(tmp_path / "work")
    commit(work, {"a.txt": "a\n"})
    gitlab_server.add_project("platform", "api")
    push(gitlab_server, "platform/api", work)
    cfg = settings(gitlab_server).model_copy(update={"cache_dir": str(tmp_path / "cache")})
    ctx = context(state_store(tmp_path), cfg)
    target = ScanTarget("platform/api", url=f"{gitlab_server.url}/platform/api.git", auth="gitlab")
    gitlab_server.fail_next("GET", r"/platform/api\.git/info/refs", Response(503, b"busy"))
    with checked_out(target, cfg, ctx) as checkout:
        assert checkout.files == ["a.txt"]
    assert len(gitlab_server.calls("GET", r"/platform/api\.git/info/refs")) == 2
