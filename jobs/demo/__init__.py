"""`python -m jobs demo`: every available job once against the embedded sandbox.

The sandbox is local only: SQLite state, the file outbox, fixtures each job's demo
module creates under the output directory (no cloud, no cluster). Each job adds its
scenario to DEMOS; results land in `<output>/<job>.json` and a summary table is printed.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Final, TextIO

from jobs.core.registry import JOBS


class DemoUnavailable(Exception):
    """What a demo needs is not installed; the message says what to install."""


#: job id → "module:function"; the function builds the sandbox under a directory and
#: returns the command-line options for the demo run
DEMOS: Final[dict[str, str]] = {
    "certificate-checker": "jobs.demo.certificate_checker:prepare",
    "secret-rotation": "jobs.demo.secret_rotation:prepare",
    "ttl-teardown": "jobs.demo.ttl_teardown:prepare",
}


def run_demo(output: str, stdout: TextIO) -> int:
    from jobs.core import redact
    from jobs.core.cli import execute, job_parser
    from jobs.core.report import outcome_counts

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    reports: list[str] = []
    for job_id, target in DEMOS.items():
        spec = JOBS[job_id]
        if not spec.available:
            continue
        print(f"{job_id}: preparing its sandbox and running it ...", file=stdout, flush=True)
        module_name, _, attr = target.partition(":")
        prepare: Callable[[Path], list[str]] = getattr(importlib.import_module(module_name), attr)
        try:
            argv = prepare(out / job_id)
        except DemoUnavailable as exc:
            print(f"{job_id}: {exc}", file=stdout)
            continue
        report = io.StringIO()
        code, result = execute(spec, job_parser(spec, spec.module).parse_args(argv), stdout=report)
        reports.append(report.getvalue())
        if result is not None:
            (out / f"{job_id}.json").write_text(json.dumps(redact.scrub_data(result.to_json()), indent=2) + "\n")
            s = result.summary
            counts = " / ".join(f"{k} {s.get(k, 0)}" for k in ("critical", "warning", "info", "ok"))
            rows.append((job_id, str(result.status), counts, outcome_counts(result.outcomes)))
        else:
            rows.append((job_id, f"exit {code}", "-", "-"))
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
