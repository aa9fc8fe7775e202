"""The `/gitlab-push` route of the Lambda function URL: a webhook scans the range just pushed.

Anyone on the internet can reach it, so it does as little as it can for a caller it has not
verified, in this order: POST only (405); a body of at most MAX_BODY bytes (413); the settings,
read once per cold start (503 when they do not load); the kind from the headers (GitLab's
`X-Gitlab-Token`/`X-Gitlab-Event`, GitHub's `X-Hub-Signature-256`/`X-GitHub-Event`; 404 when
that kind has no secret configured); the secret, compared in constant time as bytes (a
non-ASCII header is a wrong token, never a TypeError): 401 when missing, 403 when wrong, the
same words either way. Only then is the body parsed (400), and the project must be one of the
configured ones (404; push_events: never a URL from the payload).

The scan is one run of the job through the one application service (`invoke`), with
`--target <the configured name> --since <before> --until <after>`: recorded, alerted and
metered like every run. Those options are the job's yielding ones, so a push run never
replaces the daily run's metrics or outranks its lock (a push arriving while another run holds
the lock is answered `skipped`; the next full run, with `history: true`, covers it). The answer
is a short JSON summary: the run's id and status and its findings' counts, nothing of a finding.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from jobs.core import http_route, redact
from jobs.core.errors import ConfigError
from jobs.core.http_route import Refused
from jobs.repo_scanner import push_events
from jobs.repo_scanner.settings import RepoScannerSettings

log = logging.getLogger("secops.repo_scanner.push")

MAX_BODY: Final = 1024 * 1024  # GitLab lists at most 20 commits per push event: far below this
_DENIED: Final = "not authorized"


def _answer(status: int, **body: Any) -> dict[str, Any]:
    """A JSON answer (`status` is the HTTP one; a run's status travels as `run_status`)."""
    headers = http_route.headers_for("application/json", **({"Allow": "POST"} if status == 405 else {}))
    return {"statusCode": status, "headers": headers, "body": json.dumps(body, sort_keys=True)}


def respond(
    event: Mapping[str, Any], now: datetime | None = None, clients: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The route's answer to one function-URL event. `clients` is accepted as every route's
    is; the scan builds its own. Never raises for what a caller sent."""
    try:
        return _respond(event, now)
    except Refused as refused:
        return _answer(refused.status, error=refused.reason)


def _respond(event: Mapping[str, Any], now: datetime | None) -> dict[str, Any]:
    if http_route.method(event) != "POST":
        raise Refused(405, "only POST")
    raw = http_route.body(event, MAX_BODY)
    cfg = _settings()
    headers = http_route.headers(event)
    kind = _kind(headers)
    _verify(kind, headers, raw, cfg)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, "the body is not JSON") from None
    push = push_events.parse(kind, headers.get("x-github-event", ""), payload)
    if push is None:
        return _answer(202, scanned=False, reason="not a push")
    scan = push_events.plan_scan(push, cfg)
    if scan is None:
        return _answer(202, scanned=False, reason="nothing to scan (a deleted branch or a tag)")
    return _run(scan, now or datetime.now(UTC))


def _kind(headers: Mapping[str, str]) -> str:
    if "x-gitlab-token" in headers or "x-gitlab-event" in headers:
        return "gitlab"
    if "x-hub-signature-256" in headers or "x-github-event" in headers:
        return "github"
    raise Refused(401, _DENIED)


def _verify(kind: str, headers: Mapping[str, str], raw: bytes, cfg: RepoScannerSettings) -> None:
    secret = cfg.push.gitlab_token if kind == "gitlab" else cfg.push.github_secret
    if secret is None:
        raise Refused(404, f"{kind} webhooks are not enabled")
    key = secret.get_secret_value().encode("utf-8")
    if kind == "gitlab":
        given, expected = headers.get("x-gitlab-token"), key
    else:
        given = headers.get("x-hub-signature-256")
        expected = b"sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest().encode("ascii")
    if not given:
        raise Refused(401, _DENIED)
    if not http_route.same_secret(given, expected):
        log.warning("push_refused", extra={"fields": {"kind": kind, "why": "bad token"}})
        raise Refused(403, _DENIED)


def _settings() -> RepoScannerSettings:
    """The repo_scanner section of the settings loaded once per cold start (http_route); 503
    when they do not load."""
    section = getattr(http_route.settings_once("/gitlab-push"), "repo_scanner", None)
    if not isinstance(section, RepoScannerSettings):
        raise Refused(503, "not configured")
    return section


def _run(scan: push_events.Scan, now: datetime) -> dict[str, Any]:
    """One run of the job over the pushed range, as every entry point makes one."""
    from jobs.core.invoke import invoke, request_from_options
    from jobs.core.registry import JOBS

    options = {"target": [scan.target], "since": scan.since, "until": scan.until, "now": now.isoformat()}
    try:
        code, result = invoke(request_from_options(JOBS["repo-scanner"], options))
    except ConfigError as exc:
        log.error("push_scan_refused", extra={"fields": {"repo": scan.target, "error": redact.scrub(str(exc))}})
        raise Refused(503, "cannot scan now") from None
    counts = {k: result.summary.get(k, 0) for k in ("critical", "warning", "info")}
    log.info("push_scanned", extra={"fields": {"repo": scan.target, "run_id": result.run_id, "exit_code": code}})
    status = 202 if str(result.status) == "skipped" else 200
    return _answer(
        status,
        scanned=status == 200,
        repository=scan.target,
        branch=scan.branch,
        run_id=result.run_id,
        run_status=str(result.status),
        findings=counts,
    )
