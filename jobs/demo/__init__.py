"""`python -m jobs demo`: every available job once against the embedded sandbox.

The sandbox is local only: SQLite state, the file outbox, fixtures each job's demo
module creates under the output directory (no cloud, no cluster). Each job adds its
scenario to DEMOS; results land in `<output>/<job>.json` and a summary table is printed.
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from jobs.core import redact
from jobs.core.errors import ConfigError, DemoUnavailable
from jobs.core.registry import JOBS, load_attr
from jobs.core.report import outcome_counts, write_refusal, write_result

if TYPE_CHECKING:  # the runner loads when a demo runs, not when the lab's modules are imported
    from jobs.core.invoke import RunRequest
    from jobs.core.model import RunResult

#: job id → "module:function"; the function builds the sandbox under a directory and
#: returns the run to make in it (DemoUnavailable when what it needs is not installed)
DEMOS: Final[dict[str, str]] = {
    "certificate-checker": "jobs.demo.certificate_checker:prepare",
    "secret-rotation": "jobs.demo.secret_rotation:prepare",
    "repo-scanner": "jobs.demo.repo_scanner:prepare",
    "ttl-teardown": "jobs.demo.ttl_teardown:prepare",
    "usage-report": "jobs.demo.usage_report:prepare",
}
Row = tuple[str, str, str, str]


def command(args: argparse.Namespace, stdout: TextIO) -> int:
    """`python -m jobs demo [--output DIR]` (cli.COMMANDS)."""
    return run_demo(args.output, stdout)


def run_demo(output: str, stdout: TextIO) -> int:
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    reports: list[str] = []
    for job_id, target in DEMOS.items():
        if not JOBS[job_id].available:
            continue
        print(f"{job_id}: preparing its sandbox and running it ...", file=stdout, flush=True)
        prepare: Callable[[Path], RunRequest] = load_attr(target)
        try:
            request = prepare(out / job_id)
        except DemoUnavailable as exc:
            print(f"{job_id}: {exc}", file=stdout)
            continue
        report = io.StringIO()
        rows.append(_run(request, out, report))
        reports.append(report.getvalue())
    if not rows:
        print("No job with a demo is available in this build yet: nothing to run.", file=stdout)
        return 0
    for text in reports:
        print(text, file=stdout)
    print(f"{'job':<22}{'status':<10}{'findings':<44}actions", file=stdout)
    for job_id, status, counts, actions in rows:
        print(f"{job_id:<22}{status:<10}{counts:<44}{actions}", file=stdout)
    print(f"results: {out}/<job>.json, alerts: {out}/<job>/outbox.jsonl", file=stdout)
    return 0


def _run(request: RunRequest, out: Path, report: TextIO) -> Row:
    """One demo run: its text report into `report`, its result into `<out>/<job>.json`, and
    its row of the summary table."""
    from jobs.core.invoke import invoke

    job_id = request.spec.id
    try:
        _, result = invoke(request)
    except ConfigError as exc:
        return (job_id, f"exit {write_refusal(job_id, exc)}", "-", "-")
    write_result(result, report)
    (out / f"{job_id}.json").write_text(json.dumps(redact.scrub_data(result.to_json()), indent=2) + "\n")
    return (job_id, str(result.status), _counts(result), outcome_counts(result.outcomes))


def _counts(result: RunResult) -> str:
    s = result.summary
    return " / ".join(f"{k} {s.get(k, 0)}" for k in ("critical", "warning", "info", "ok"))
