"""AWS Lambda entry: EventBridge scheduled events carrying {"job": id, "args": {...}}.

`args` are the command-line options by their long names (`dry_run`, `apply`, `now`,
`fail_on`, `shard`, `config` and the job's own options). A run that is not clean
(exit code other than 0) raises, so Lambda reports a failure and EventBridge can
retry or dead-letter it; a handler that swallows errors hides outages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jobs.core import redact
from jobs.core.cli import execute, job_parser
from jobs.core.registry import JOBS, JobSpec, load_attr


class JobRunFailed(RuntimeError):
    def __init__(self, job: str, code: int, result: Mapping[str, Any] | None) -> None:
        self.code, self.result = code, result
        status = result.get("status") if result else "not started"
        super().__init__(f"{job} exited {code} (status {status})")


def event_request(event: Mapping[str, Any], jobs: Mapping[str, JobSpec] = JOBS) -> tuple[str, Mapping[str, Any]]:
    """The job and args from a constant-input rule or from an event's `detail`."""
    body: Any = event
    if "job" not in body and isinstance(event.get("detail"), Mapping):
        body = event["detail"]
    job = body.get("job")
    if job not in jobs:
        raise ValueError(f"event names no known job: {job!r} (known: {', '.join(jobs)})")
    args = body.get("args") or {}
    if not isinstance(args, Mapping):
        raise ValueError("event 'args' must be an object")
    return str(job), args


def args_to_argv(args: Mapping[str, Any]) -> list[str]:
    argv: list[str] = []
    for name, value in args.items():
        flag = "--" + str(name).replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value not in (False, None):
            argv += [flag, str(value)]
    return argv


#: Lambda function URL routes (a URL request has `rawPath` and `requestContext.http`)
ROUTES: Final[dict[str, str]] = {"/snooze": "jobs.ttl_teardown.snooze_route:respond"}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    if "rawPath" in event and "http" in (event.get("requestContext") or {}):
        target = ROUTES.get(str(event["rawPath"]))
        if target is None:
            return {"statusCode": 404, "headers": {"Content-Type": "text/plain"}, "body": "not found"}
        answer: dict[str, Any] = load_attr(target)(event)
        return answer
    return handle(event, JOBS)


def handle(event: Mapping[str, Any], jobs: Mapping[str, JobSpec]) -> dict[str, Any]:
    job_id, args = event_request(event, jobs)
    spec = jobs[job_id]
    try:
        parsed = job_parser(spec, spec.module).parse_args(args_to_argv(args))
    except SystemExit:
        raise ValueError(f"event args not understood for {job_id}: {dict(args)}") from None
    parsed.json = False
    code, result = execute(spec, parsed)
    body: dict[str, Any] | None = redact.scrub_data(result.to_json()) if result else None
    if code != 0:
        raise JobRunFailed(job_id, code, body)
    assert body is not None
    return body
