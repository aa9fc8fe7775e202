"""`/gitlab-push` through the real Lambda handler with function-URL events: who may start a
scan (GitLab's token, GitHub's signature, both compared in constant time), what a caller who
may not gets (4xx, no run, no detail), and which repositories a valid push can reach (only
configured ones: never a URL from the payload)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobs.core.aws_lambda import handler
from jobs.demo.planting import Repo, aws_key_pair, new_repo
from jobs.repo_scanner.push_route import MAX_BODY
from tests.helpers import write_config

TOKEN = "gl-" + "k3y" * 12  # 39 characters
SECRET = "gh-" + "s3cr3t" * 6
ZERO = "0" * 40


def url_event(body: str, headers: dict[str, str], method: str = "POST", b64: bool = False) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": "/gitlab-push",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": "/gitlab-push", "sourceIp": "203.0.113.9"}},
        "body": body,
        "isBase64Encoded": b64,
    }


def gitlab_push(project: str, before: str, after: str, ref: str = "refs/heads/main", **extra: Any) -> str:
    payload = {
        "object_kind": "push",
        "event_name": "push",
        "ref": ref,
        "before": before,
        "after": after,
        "project": {
            "path_with_namespace": project,
            "default_branch": "main",
            "git_http_url": "http://203.0.113.66/evil.git",  # never read
        },
        **extra,
    }
    return json.dumps(payload)


def github_push(full_name: str, before: str, after: str, ref: str = "refs/heads/main") -> str:
    repository = {"full_name": full_name, "default_branch": "main", "clone_url": "http://203.0.113.66/evil.git"}
    return json.dumps({"ref": ref, "before": before, "after": after, "repository": repository})


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Site:
    """A configured deployment: the settings file the function reads, its state DB, one repo."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **push: str) -> None:
        self.state = tmp_path / "state.db"
        self.repo: Repo = new_repo(tmp_path / "app")
        self.first = self.repo.commit({"README.md": "hello\n"}, "first")
        self.second = self.repo.commit({"app.py": "print('hi')\n"}, "second")
        settings = {
            "state_db_url": f"sqlite:///{self.state}",
            "log_level": "warning",
            "notifications": {
                "routes": {"critical": ["file"], "warning": ["file"], "info": ["file"]},
                "file": {"path": str(tmp_path / "outbox.jsonl")},
            },
            "repo_scanner": {
                "targets": [{"path": str(self.repo.root), "name": "platform/app"}],
                "scanners": {"sast": {"enabled": False}},
                "push": push or {"gitlab_token": TOKEN, "github_secret": SECRET},
            },
        }
        monkeypatch.setenv("SECOPS_CONFIG", write_config(tmp_path / "secops.yaml", settings))
        monkeypatch.chdir(tmp_path)

    def runs(self) -> list[tuple[str, str | None]]:
        if not self.state.exists():
            return []
        with sqlite3.connect(self.state) as db:
            return list(db.execute("select status, mode from secops_runs where job_id = 'repo-scanner'"))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    return Site(tmp_path, monkeypatch)


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = handler(event, None)
    return answer["statusCode"], json.loads(answer["body"])


# -- a valid push runs one recorded scan ---------------------------------------------------------------
def test_a_gitlab_push_of_a_configured_project_runs_one_recorded_scan_of_its_range(site: Site) -> None:
    body = gitlab_push("platform/app", site.first, site.second)
    status, answer = call(url_event(body, {"X-Gitlab-Token": TOKEN, "X-Gitlab-Event": "Push Hook"}))
    assert status == 200, answer
    assert answer["scanned"] is True and answer["repository"] == "platform/app" and answer["branch"] == "main"
    assert answer["run_status"] == "success" and set(answer["findings"]) == {"critical", "warning", "info"}
    assert len(answer["run_id"]) >= 8
    # a lesser run: its own mode, so it never stands in for the daily run's metrics and lock
    assert site.runs() == [("success", "target,since,until")]


def test_a_github_push_signed_with_the_secret_runs_the_scan(site: Site) -> None:
    body = github_push("Platform/App", site.first, site.second)  # GitHub and GitLab route case-insensitively
    headers = {"x-github-event": "push", "x-hub-signature-256": signed(body.encode())}
    status, answer = call(url_event(body, headers))
    assert (status, answer["repository"]) == (200, "platform/app")


def test_a_base64_body_is_verified_over_its_decoded_bytes(site: Site) -> None:
    raw = github_push("platform/app", site.first, site.second).encode()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": signed(raw)}
    status, _ = call(url_event(base64.b64encode(raw).decode(), headers, b64=True))
    assert status == 200
    wrong = {**headers, "X-Hub-Signature-256": signed(base64.b64encode(raw))}  # over the text: not what was sent
    assert call(url_event(base64.b64encode(raw).decode(), wrong, b64=True))[0] == 403


# -- who may not ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Gitlab-Event": "Push Hook"}, 401),
        ({"X-Gitlab-Token": ""}, 401),
        ({"X-Gitlab-Token": TOKEN[:-1]}, 403),  # one character short
        ({"X-Gitlab-Token": TOKEN + " "}, 403),
        ({"X-Gitlab-Token": TOKEN.upper()}, 403),
        ({"X-Gitlab-Token": "é" + TOKEN[1:]}, 403),  # non-ASCII: a wrong token, not a TypeError
        ({"X-Gitlab-Token": SECRET}, 403),  # GitHub's secret is not GitLab's token
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Event": "push"}, 403),
        ({"X-Hub-Signature-256": "sha1=abc", "X-GitHub-Event": "push"}, 403),
        ({"X-GitHub-Event": "push"}, 401),
    ],
)
def test_a_missing_or_forged_credential_is_refused_with_no_detail_and_no_run(
    site: Site, headers: dict[str, str], status: int
) -> None:
    body = gitlab_push("platform/app", site.first, site.second)
    code, answer = call(url_event(body, headers))
    assert (code, answer) == (status, {"error": "not authorized"})
    assert site.runs() == []


@given(st.one_of(st.text(max_size=80), st.sampled_from([TOKEN, TOKEN.upper(), f" {TOKEN}", f"{TOKEN}\n"])))
@example(TOKEN[:-1])
@example(TOKEN + "\u0000")
def test_no_token_but_the_configured_one_starts_a_scan(guess: str) -> None:
    """Any header text (empty, whitespace, non-ASCII, a prefix, the token's case variants):
    only the exact token passes the check, which is hmac.compare_digest over bytes."""
    from jobs.repo_scanner import push_route

    cfg = _cfg()
    headers = {"x-gitlab-token": guess}
    try:
        push_route._verify("gitlab", headers, b"{}", cfg)
        passed = True
    except push_route.Refused as refused:
        assert refused.status in (401, 403) and refused.reason == "not authorized"
        passed = False
    assert passed == (guess == TOKEN)


def _cfg() -> Any:
    from jobs.repo_scanner.settings import RepoScannerSettings

    return RepoScannerSettings.model_validate({"push": {"gitlab_token": TOKEN, "github_secret": SECRET}})


def test_the_token_and_the_signature_are_compared_in_constant_time(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every comparison of a caller's credential goes through hmac.compare_digest, as bytes."""
    seen: list[tuple[bytes, bytes]] = []
    real: Callable[[bytes, bytes], bool] = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    body = gitlab_push("platform/app", site.first, site.second)
    assert call(url_event(body, {"X-Gitlab-Token": "wrong-token"}))[0] == 403
    assert seen == [(b"wrong-token", TOKEN.encode())]
    raw = github_push("platform/app", site.first, site.second).encode()
    assert call(url_event(raw.decode(), {"X-Hub-Signature-256": "sha256=" + "a" * 64}))[0] == 403
    assert seen[1] == (b"sha256=" + b"a" * 64, signed(raw).encode())


def test_a_kind_without_a_configured_secret_is_not_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = Site(tmp_path, monkeypatch, gitlab_token=TOKEN)
    raw = github_push("platform/app", site.first, site.second)
    assert call(url_event(raw, {"X-Hub-Signature-256": signed(raw.encode())})) == (
        404,
        {"error": "github webhooks are not enabled"},
    )


@pytest.mark.parametrize("token", ["", "short", " " * 40, "x" * 31])
def test_an_empty_or_short_secret_is_a_configuration_error_and_the_route_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    site = Site(tmp_path, monkeypatch, gitlab_token=token)
    body = gitlab_push("platform/app", site.first, site.second)
    assert call(url_event(body, {"X-Gitlab-Token": token})) == (503, {"error": "not configured"})
    assert site.runs() == []


def test_two_spellings_of_the_token_header_that_disagree_are_refused(site: Site) -> None:
    body = gitlab_push("platform/app", site.first, site.second)
    assert call(url_event(body, {"X-Gitlab-Token": TOKEN, "x-gitlab-token": "other"}))[0] == 400
    assert site.runs() == []


# -- what a caller sends -------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", "", "post\n"])
def test_only_post_is_served(site: Site, method: str) -> None:
    answer = handler(url_event("", {"X-Gitlab-Token": TOKEN}, method=method), None)
    assert answer["statusCode"] == 405 and answer["headers"]["Allow"] == "POST"


def test_an_event_without_http_context_is_a_4xx_not_a_traceback(site: Site) -> None:
    event = url_event("{}", {"X-Gitlab-Token": TOKEN})
    event["requestContext"] = {"http": None}
    assert handler(event, None)["statusCode"] == 405


def test_a_huge_body_is_refused_before_it_is_verified_or_parsed(site: Site) -> None:
    """A replay of a valid push padded past the cap (plain and base64): 413, no run."""
    body = gitlab_push("platform/app", site.first, site.second, padding="x" * MAX_BODY)
    assert call(url_event(body, {"X-Gitlab-Token": TOKEN}))[0] == 413
    encoded = base64.b64encode(body.encode()).decode()
    assert call(url_event(encoded, {"X-Gitlab-Token": TOKEN}, b64=True))[0] == 413
    assert site.runs() == []


@pytest.mark.parametrize(
    "body",
    ["{", "[]", "null", '{"object_kind": "push"}', "[" * 100_000, gitlab_push("platform/app", "abc", "def")],
)
def test_a_body_that_is_no_push_of_ours_is_a_400(site: Site, body: str) -> None:
    assert call(url_event(body, {"X-Gitlab-Token": TOKEN}))[0] == 400
    assert site.runs() == []


def test_bad_base64_is_a_400(site: Site) -> None:
    assert call(url_event("not base64!", {"X-Gitlab-Token": TOKEN}, b64=True))[0] == 400


# -- which repositories a push reaches -----------------------------------------------------------------
@pytest.mark.parametrize(
    "project", ["platform/other", "app", "evil/platform/app", "platform/app/../app", "platform//app", "../platform/app"]
)
def test_a_project_that_is_not_configured_is_a_404_and_nothing_is_cloned(site: Site, project: str) -> None:
    body = gitlab_push(project, site.first, site.second)
    assert call(url_event(body, {"X-Gitlab-Token": TOKEN})) == (404, {"error": "unknown project"})
    assert site.runs() == []


def test_a_deleted_branch_or_a_tag_is_accepted_with_nothing_to_scan(site: Site) -> None:
    deleted = gitlab_push("platform/app", site.second, ZERO, ref="refs/heads/feature")
    status, answer = call(url_event(deleted, {"X-Gitlab-Token": TOKEN}))
    assert (status, answer["scanned"]) == (202, False)
    tag = gitlab_push("platform/app", ZERO, site.second, ref="refs/tags/v1", object_kind="tag_push")
    assert call(url_event(tag, {"X-Gitlab-Token": TOKEN}))[0] == 202
    ping = json.dumps({"zen": "hi", "hook_id": 1})
    assert call(url_event(ping, {"X-GitHub-Event": "ping", "X-Hub-Signature-256": signed(ping.encode())}))[0] == 202
    assert site.runs() == []


# -- the scan of the pushed range, on a real repository ------------------------------------------------
def test_a_push_scans_its_range_and_finds_the_secret_committed_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits outside the pushed range are not read: a key added and removed before it is
    not reported; the key added (and removed again) inside it is, from history, redacted."""
    site = Site(tmp_path, monkeypatch)
    old_id, old_secret = aws_key_pair()
    site.repo.commit({"old.env": f"AWS_ACCESS_KEY_ID={old_id}\nAWS_SECRET_ACCESS_KEY={old_secret}\n"}, "old keys")
    before = site.repo.commit({"old.env": None}, "drop them")
    key_id, secret = aws_key_pair()
    site.repo.commit({"deploy.env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"}, "keys")
    after = site.repo.commit({"deploy.env": None}, "oops, removed")
    status, answer = call(url_event(gitlab_push("platform/app", before, after), {"X-Gitlab-Token": TOKEN}))
    assert status == 200 and answer["run_status"] == "success", answer
    assert answer["findings"]["warning"] >= 1 and answer["findings"]["critical"] == 0  # only in history
    outbox = (tmp_path / "outbox.jsonl").read_text()
    assert "deploy.env" in outbox and "old.env" not in outbox
    for value in (key_id, secret, old_id, old_secret):
        assert value not in outbox + json.dumps(answer)


# -- the mapping of a payload's project to what is configured (pure) -----------------------------------
GROUPS = ["platform-tools", "ops/infra"]
_pieces = st.sampled_from(
    ["platform", "Platform", "PLATFORM", "app", "App", "payments", "api", "platform-tools", "platform-toolsx",
     "ops", "infra", "infrax", "..", ".", "", " ", "app.git", "\uff41\uff50\uff50", "app\n", "x"]
)  # fmt: skip
projects = st.one_of(
    st.lists(_pieces, min_size=1, max_size=5).map("/".join),
    st.text(max_size=40),
    st.sampled_from(["https://gitlab.example.test/platform/app.git", "git@gitlab.example.test:platform/app.git"]),
)


@settings(max_examples=400)
@given(projects)
@example("platform-toolsx/app")  # a group's name as a prefix of another's
@example("Platform-Tools/app")
@example("ops/infra/../../platform/app")
def test_a_push_maps_only_to_a_configured_target_or_a_project_under_a_configured_group(project: str) -> None:
    from jobs.repo_scanner.push_events import find_target
    from jobs.repo_scanner.settings import RepoScannerSettings

    cfg = RepoScannerSettings.model_validate(
        {
            "targets": [{"path": "/srv/app", "name": "platform/app"},
                        {"url": "https://gitlab.example.test/payments/api.git"}],
            "gitlab": {"url": "https://gitlab.example.test", "groups": GROUPS},
        }
    )  # fmt: skip
    found = find_target(project, cfg)
    if found is None:
        return
    if found == "platform/app" or found == "api":  # a configured target (by name, or its url's path)
        wanted = {"platform/app": "platform/app", "api": "payments/api"}[found]
        assert project.casefold() == wanted
        return
    assert found == project  # a GitLab project: its own path, which discovery names it by
    assert any(project.casefold().startswith(group + "/") for group in GROUPS)
    assert all(part and part.strip(".") and part.isascii() and "\n" not in part for part in project.split("/"))


@settings(max_examples=300)
@given(st.data())
def test_any_changed_byte_of_a_signed_github_push_is_refused(data: st.DataObject) -> None:
    """A valid delivery with one byte of its body or its signature changed (or cut short, or
    lengthened) never verifies."""
    from jobs.repo_scanner import push_route

    body = github_push("platform/app", "1" * 40, "2" * 40).encode()
    signature = signed(body).encode()
    target = data.draw(st.sampled_from(["body", "signature"]))
    original = body if target == "body" else signature
    how = data.draw(st.sampled_from(["flip", "cut", "add"]))
    at = data.draw(st.integers(0, len(original) - 1))
    if how == "flip":
        changed = original[:at] + bytes([original[at] ^ data.draw(st.integers(1, 255))]) + original[at + 1 :]
    elif how == "cut":
        changed = original[:at]
    else:
        changed = original[:at] + data.draw(st.binary(min_size=1, max_size=4)) + original[at:]
    new_body, new_signature = (changed, signature) if target == "body" else (body, changed)
    headers = {"x-hub-signature-256": new_signature.decode("utf-8", "surrogateescape")}
    with pytest.raises(push_route.Refused) as refused:
        push_route._verify("github", headers, new_body, _cfg())
    assert refused.value.status in (401, 403)


def test_every_answer_carries_the_no_store_and_no_sniff_headers(site: Site) -> None:
    for event in (url_event("", {}, method="GET"), url_event("{}", {"X-Gitlab-Token": "x"})):
        headers = handler(event, None)["headers"]
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("default_branch", ["main", None])
def test_a_new_branch_is_scanned_from_the_default_branch_or_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_branch: str | None
) -> None:
    """A push that created `feature` (before is all zeros): its commits the default branch does
    not have, or the whole branch when the payload names no default branch."""
    site = Site(tmp_path, monkeypatch)
    site.repo.git("checkout", "-q", "-b", "feature")
    key_id, secret = aws_key_pair()
    site.repo.commit({"k.env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"}, "keys")
    site.repo.commit({"k.env": None}, "gone")
    tip = site.repo.git("rev-parse", "HEAD")
    payload = json.loads(gitlab_push("platform/app", ZERO, tip, ref="refs/heads/feature"))
    payload["project"]["default_branch"] = default_branch
    status, answer = call(url_event(json.dumps(payload), {"X-Gitlab-Token": TOKEN}))
    assert (status, answer["run_status"], answer["branch"]) == (200, "success", "feature"), answer
    assert answer["findings"]["warning"] >= 1  # the key added and removed on the new branch


def test_a_push_while_another_run_holds_the_lock_is_answered_skipped(site: Site) -> None:
    """The daily run (a full one) holds the lock: the push's run, a yielding one, is skipped and
    says so (202); the daily run covers the repository."""
    from datetime import UTC, datetime, timedelta

    from jobs.core.state.engine import StateStore
    from jobs.core.state.locks import acquire_lock

    store = StateStore(f"sqlite:///{site.state}")
    store.upgrade(datetime.now(UTC))
    assert acquire_lock(store, "repo-scanner", "all", "the-daily-run", datetime.now(UTC), timedelta(hours=1))
    status, answer = call(url_event(gitlab_push("platform/app", site.first, site.second), {"X-Gitlab-Token": TOKEN}))
    assert (status, answer["scanned"], answer["run_status"]) == (202, False, "skipped")
    assert site.runs() == [("skipped", "target,since,until")]
