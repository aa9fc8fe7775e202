"""AWS Lambda entry: EventBridge scheduled events carrying {"job": id, "args": {...}}.

`args` are the command-line options by their long names (`dry_run`, `apply`, `now`,
`fail_on`, `shard`, `config` and the job's own options). Settings come from `args.config`,
else the file `$SECOPS_CONFIG` names, plus the function's `SECOPS_*` environment (README,
"Deploying").

What the function returns decides whether Lambda retries. A run that failed (exit 1) or
tripped `fail_on` (4) raises JobRunFailed with the errors' text, so Lambda reports a failure
and EventBridge retries or dead-letters it. What cannot succeed on a retry returns a result
instead: a bad event or bad settings (exit 2, nothing done) and a guardrail trip (3, nothing
done). Every result carries its `exit_code`.

An entry point: the event's args become a RunRequest (invoke.request_from_options, as a
schedule's do) for invoke.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from jobs.core import http_route, logs, redact
from jobs.core.errors import ConfigError, UsageError
from jobs.core.invoke import RunRequest, invoke, request_from_options
from jobs.core.model import iso
from jobs.core.registry import JOBS, JobSpec, load_attr
from jobs.core.report import failure_summary, render_text

log = logging.getLogger("secops.lambda")
#: exit codes a retry cannot change: returned, not raised
RETURNED: Final = frozenset({0, 2, 3})


class JobRunFailed(RuntimeError):
    """The run is not clean; the message says why (its errors and failed actions)."""

    def __init__(self, job: str, code: int, result: Mapping[str, Any] | None, why: str = "") -> None:
        self.code, self.result = code, result
        status = result.get("status") if result else "not started"
        super().__init__(f"{job} exited {code} (status {status})" + (f": {why}" if why else ""))


def event_request(event: Mapping[str, Any], jobs: Mapping[str, JobSpec] = JOBS) -> tuple[str, Mapping[str, Any]]:
    """The job and args from a constant-input rule or from an event's `detail`; ConfigError
    naming what is wrong with the event."""
    body: Any = event
    if "job" not in body and isinstance(event.get("detail"), Mapping):
        body = event["detail"]
    job = body.get("job")
    if job not in jobs:
        raise ConfigError(f"event names no known job: {job!r} (known: {', '.join(jobs)})")
    args = body.get("args") or {}
    if not isinstance(args, Mapping):
        raise ConfigError("event 'args' must be an object")
    return str(job), args


def routes(jobs: Mapping[str, JobSpec] = JOBS) -> dict[str, str]:
    """Function URL path -> "module:function", from the jobs' `routes` (a URL request has
    `rawPath` and `requestContext.http`)."""
    return {path: target for spec in jobs.values() for path, target in spec.routes}


ROUTES: Final[dict[str, str]] = routes()


def handler(event: Mapping[str, Any], context: Any, routes: Mapping[str, str] = ROUTES) -> dict[str, Any]:
    request = event.get("requestContext")
    if "rawPath" in event and isinstance(request, Mapping) and "http" in request:
        return answer_url(event, routes)
    return handle(event, JOBS)


def answer_url(event: Mapping[str, Any], routes: Mapping[str, str]) -> dict[str, Any]:
    """A function-URL request's answer, always with the security headers. A route answers what
    a caller sent itself; one that raises anyway (a bug of ours, a setting nobody foresaw) is
    a 500 here, its traceback in the logs, never Lambda's bare 502 counted as a failure."""
    path = str(event["rawPath"])
    target = routes.get(path)
    if target is None:
        return {"statusCode": 404, "headers": http_route.headers_for("text/plain"), "body": "not found"}
    try:
        answer: dict[str, Any] = load_attr(target)(event)
    except Exception:
        logs.ensure_configured()
        log.exception("route_failed", extra={"fields": {"route": path}})
        return {"statusCode": 500, "headers": http_route.headers_for("text/plain"), "body": "internal error"}
    return answer


def handle(event: Mapping[str, Any], jobs: Mapping[str, JobSpec]) -> dict[str, Any]:
    try:
        job_id, args = event_request(event, jobs)
        code, result = invoke(_request(jobs[job_id], args))
    except ConfigError as exc:
        return refused(_named_job(event), exc.problems)
    print(redact.scrub(render_text(result)))  # the function's log, as a terminal would show it
    body: dict[str, Any] = {**redact.scrub_data(result.to_json()), "exit_code": result.exit_code}
    log.info("lambda_run_done", extra={"fields": {"job": job_id, "exit_code": code}})
    if code not in RETURNED:
        raise JobRunFailed(job_id, code, body, redact.scrub(failure_summary(result)))
    return body


def _request(spec: JobSpec, args: Mapping[str, Any]) -> RunRequest:
    """The run the event's args ask for (the settings hold the sections of this build's jobs)."""
    try:
        return request_from_options(spec, args)
    except UsageError as exc:
        raise ConfigError(f"event args not understood: {exc.detail}") from None


def _named_job(event: Mapping[str, Any]) -> str:
    body = event if "job" in event else event.get("detail") or {}
    return str(body.get("job")) if isinstance(body, Mapping) else "None"


def refused(job: str, problems: list[str]) -> dict[str, Any]:
    """The result of a run that never started (exit 2): the problems, each naming the culprit."""
    messages = [redact.scrub(p) for p in problems]
    logs.ensure_configured()
    for message in messages:
        log.error("configuration_error", extra={"fields": {"job": job, "error": message}})
    now = iso(datetime.now(UTC))
    return {
        "job": job,
        "run_id": None,
        "status": "failure",
        "exit_code": 2,
        "started_at": now,
        "completed_at": now,
        "dry_run": None,
        "summary": {"total_checked": 0},
        "findings": [],
        "actions": [],
        "alerts_sent": [],
        "errors": [{"source": "configuration", "message": m} for m in messages],
    }
