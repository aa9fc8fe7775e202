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

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from jobs.core import redact
from jobs.core.errors import ConfigError
from jobs.repo_scanner import push_events
from jobs.repo_scanner.push_events import Refused
from jobs.repo_scanner.settings import RepoScannerSettings

log = logging.getLogger("secops.repo_scanner.push")

MAX_BODY: Final = 1024 * 1024  # GitLab lists at most 20 commits per push event: far below this
#: the base64 text of MAX_BODY bytes
_MAX_ENCODED: Final = 4 * ((MAX_BODY + 2) // 3)
_HEADERS: Final = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
_DENIED: Final = "not authorized"

_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], RepoScannerSettings] = {}


def _answer(status: int, **body: Any) -> dict[str, Any]:
    """A JSON answer (`status` is the HTTP one; a run's status travels as `run_status`)."""
    headers = dict(_HEADERS)
    if status == 405:
        headers["Allow"] = "POST"
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
    if _method(event) != "POST":
        raise Refused(405, "only POST")
    raw = _body(event)
    cfg = _settings()
    headers = _headers(event)
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


def _method(event: Mapping[str, Any]) -> str:
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else None
    return method.upper() if isinstance(method, str) else ""


def _body(event: Mapping[str, Any]) -> bytes:
    """The raw bytes the sender signed; 413 past MAX_BODY (checked before decoding anything)."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise Refused(400, "no body")
    if len(body) > (_MAX_ENCODED if event.get("isBase64Encoded") else MAX_BODY):
        raise Refused(413, f"the body is larger than {MAX_BODY} bytes")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(400, "the body is not base64") from None
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY:
        raise Refused(413, f"the body is larger than {MAX_BODY} bytes")
    return raw


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased names; two spellings of one header that disagree are refused (which one a
    proxy would have used is unknown)."""
    found: dict[str, str] = {}
    given = event.get("headers")
    for name, value in given.items() if isinstance(given, Mapping) else ():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        key = name.lower()
        if key in found and found[key] != value:
            raise Refused(400, f"header {key} given twice")
        found[key] = value
    return found


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
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected):
        log.warning("push_refused", extra={"fields": {"kind": kind, "why": "bad token"}})
        raise Refused(403, _DENIED)


def _settings() -> RepoScannerSettings:
    """The repo_scanner section, loaded once per cold start (per settings file and SECOPS_*
    environment: a test or a redeploy changing either is read afresh); 503 when it does not
    load, the reason in the logs only."""
    from jobs.core.resolve import load_settings

    path = os.environ.get("SECOPS_CONFIG")
    stamp = _stamp(path)
    key = (path, stamp, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SECOPS_"))))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        try:
            section = getattr(load_settings(), "repo_scanner", None)
        except ConfigError as exc:
            log.error("push_not_configured", extra={"fields": {"error": redact.scrub(str(exc))}})
            raise Refused(503, "not configured") from None
        if not isinstance(section, RepoScannerSettings):
            raise Refused(503, "not configured")
        _cache.clear()
        _cache[key] = section
        return section


def _stamp(path: str | None) -> tuple[int, int] | None:
    try:
        info = Path(path).stat() if path else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info else None


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
