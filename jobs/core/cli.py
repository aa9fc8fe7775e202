"""`python -m jobs list|run|schedule|demo|audit|db` and `python -m jobs.<module>`.

Parsing needs only the registry; settings, state and job code load after it, so
`--help` and `list` stay fast (bench/startup.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from jobs.core.registry import JOBS, JobSpec

if TYPE_CHECKING:
    from jobs.core.model import RunResult
    from jobs.core.runner import Runtime

SEVERITY_CHOICES = ("critical", "warning", "info")


class UsageError(Exception):
    """A command line (or a Lambda event's args) argparse refused: one line naming the option."""

    def __init__(self, prog: str, detail: str) -> None:
        self.detail = detail  # argparse's own words, e.g. "argument --now: 'x' is not an ISO 8601 instant"
        super().__init__(f"{prog}: {detail} (see --help)")


class Parser(argparse.ArgumentParser):
    """argparse, except that a bad command line is a UsageError (exit 2, one line naming the
    option) instead of the usage block and `SystemExit` from deep inside parsing: the CLI prints
    it, the Lambda returns it, nobody sees a bare exception name."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


class _Version(argparse.Action):
    """`--version`, read from the installed distribution only when asked (start-up stays fast)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("secops-jobs")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"secops-jobs {found}")
        parser.exit()


def parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone (add Z or +00:00)")
    return moment


def add_run_options(parser: argparse.ArgumentParser, spec: JobSpec) -> None:
    mode = parser.add_mutually_exclusive_group()
    default = "plan only (the default for this job)" if spec.destructive else "plan only"
    mode.add_argument("--dry-run", dest="dry_run", action="store_const", const=True, help=default)
    mode.add_argument("--apply", dest="dry_run", action="store_const", const=False, help="act on the plan")
    parser.add_argument("--config", metavar="PATH", help="YAML settings (default: $SECOPS_CONFIG)")
    parser.add_argument("--now", type=parse_now, metavar="ISO8601", help="evaluate as if it were this instant")
    parser.add_argument("--json", action="store_true", help="print the run result as JSON on stdout")
    parser.add_argument(
        "--fail-on", choices=SEVERITY_CHOICES, help="exit 4 when a finding is at or above this severity"
    )
    parser.add_argument("--shard", metavar="I/N", help="take only shard I of N (stable hash)")
    for option in spec.options:
        if option.kind == "flag":
            parser.add_argument(option.flag, dest=f"opt_{option.name}", action="store_true", help=option.help)
        else:
            parser.add_argument(
                option.flag, dest=f"opt_{option.name}", choices=option.choices or None, help=option.help
            )


def job_parser(spec: JobSpec, prog: str) -> argparse.ArgumentParser:
    parser = Parser(prog=prog, description=f"{spec.id}: {spec.description}")
    parser.add_argument("--version", action=_Version)
    add_run_options(parser, spec)
    return parser


def parsed(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed options, or exit code 2 once the one-line usage error is on stderr."""
    try:
        return parser.parse_args(argv)
    except UsageError as exc:
        print(f"usage error: {exc}", file=sys.stderr)
        return 2


def start(
    spec: JobSpec, args: argparse.Namespace, runtime: Runtime | None = None, jobs: Mapping[str, JobSpec] = JOBS
) -> RunResult:
    """Settings, options, one run: the one path for CLI, Lambda and scheduler. ConfigError
    (exit 2, nothing done) when the settings or options are bad; each entry point reports it
    its own way (a line on stderr, a Lambda result, an alert). `jobs` is the table whose
    sections the settings file may hold (the scheduler's, which validated it at start)."""
    from jobs.core import logs
    from jobs.core.errors import ConfigError
    from jobs.core.model import Severity
    from jobs.core.runner import RunOptions, Shard, run_job
    from jobs.core.settings import load_settings

    if not spec.available:
        raise ConfigError(f"job {spec.id} is not available in this build")
    settings = load_settings(args.config, {**jobs, spec.id: spec})
    logs.configure(settings.log_level)
    options = RunOptions(
        dry_run=args.dry_run,
        now=args.now,
        fail_on=Severity(args.fail_on) if args.fail_on else None,
        shard=Shard.parse(args.shard) if args.shard else None,
        job_args=_job_args(spec, args),
    )
    return run_job(spec, settings, options, runtime)


def execute(
    spec: JobSpec,
    args: argparse.Namespace,
    runtime: Runtime | None = None,
    stdout: TextIO | None = None,
) -> tuple[int, RunResult | None]:
    """Run one job from parsed options and print what happened (--json: the result)."""
    from jobs.core import redact
    from jobs.core.errors import ConfigError
    from jobs.core.report import render_text

    stdout = stdout or sys.stdout
    try:
        result = start(spec, args, runtime)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{spec.id}: configuration error: {redact.scrub(problem)}", file=sys.stderr)
        return 2, None
    if args.json:  # one line, C-encoded: a result with 10,000 findings prints in milliseconds
        stdout.write(redact.scrub(json.dumps(result.to_json())) + "\n")
    else:
        print(redact.scrub(render_text(result)), file=stdout)
    return result.exit_code, result


def _job_args(spec: JobSpec, args: argparse.Namespace) -> dict[str, Any]:
    values = {o.name: getattr(args, f"opt_{o.name}", None) for o in spec.options}
    return {k: v for k, v in values.items() if v not in (None, False)}


def job_main(job_id: str, argv: Sequence[str] | None = None) -> int:
    """Entry of `python -m jobs.<module>`."""
    spec = JOBS[job_id]
    args = parsed(job_parser(spec, f"python -m {spec.module}"), argv)
    return args if isinstance(args, int) else execute(spec, args)[0]


def _list(as_json: bool, stdout: TextIO) -> int:
    from jobs.core import listing

    if as_json:
        stdout.write(json.dumps(listing.as_json(JOBS), indent=2) + "\n")
    else:
        print(listing.table(JOBS), file=stdout)
    return 0


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Entry of `python -m jobs` and the `secops-jobs` console script."""
    stdout = stdout or sys.stdout
    parser = Parser(prog="python -m jobs", description="secops-jobs: scheduled security jobs")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per job: id, schedules, destructive, description")
    listing.add_argument("--json", action="store_true", help="a JSON array: id, module, destructive, schedules")
    runner = sub.add_parser("run", help="run one job once")
    jobs_sub = runner.add_subparsers(dest="job", required=True, metavar="JOB_ID")
    for spec in JOBS.values():
        add_run_options(jobs_sub.add_parser(spec.id, help=spec.description), spec)
    schedule = sub.add_parser("schedule", help="run the jobs on their crons in one process (APScheduler)")
    schedule.add_argument("--config", metavar="PATH")
    schedule.add_argument("--jobs", metavar="ID,...", help="only these jobs (default: every job in this build)")
    demo = sub.add_parser("demo", help="run every available job once against the embedded sandbox")
    demo.add_argument("--output", default="demo-output", metavar="DIR")
    sub.add_parser("settings-reference", help="print the settings reference (Markdown) generated from the models")
    audit = sub.add_parser(
        "audit", help="every recorded action: run_id, job, at, kind, resource, outcome, reason, error"
    )
    audit.add_argument("--job", metavar="ID", help="only this job's actions")
    audit.add_argument("--since", type=parse_now, metavar="ISO8601", help="only actions at or after this instant")
    audit.add_argument("--json", action="store_true", help="a JSON array on stdout instead of a table")
    audit.add_argument("--config", metavar="PATH")
    db = sub.add_parser("db", help="state database schema")
    db.add_argument("action", choices=("upgrade", "status"))
    db.add_argument("--config", metavar="PATH")
    args = parsed(parser, argv)
    if isinstance(args, int):
        return args
    if args.command == "list":
        return _list(args.json, stdout)
    if args.command == "run":
        return execute(JOBS[args.job], args, stdout=stdout)[0]
    if args.command == "schedule":
        from jobs.core.scheduler import parse_jobs_option, serve

        return serve(args.config, only=parse_jobs_option(args.jobs))
    if args.command == "settings-reference":
        from jobs.core.settings_doc import reference

        stdout.write(reference())
        return 0
    if args.command == "demo":
        from jobs.demo import run_demo

        return run_demo(args.output, stdout)
    if args.command == "audit":
        from jobs.core.audit import main as audit_main

        return audit_main(args.job, args.since, args.json, args.config, stdout)
    return _db(args.action, args.config, stdout)


def _db(action: str, config: str | None, stdout: TextIO) -> int:
    from datetime import UTC

    from jobs.core.audit import failed
    from jobs.core.errors import ConfigError, StateUnavailable
    from jobs.core.settings import load_settings
    from jobs.core.state import SCHEMA_VERSION, StateStore

    try:
        settings = load_settings(config)
        store = StateStore(settings.state_db_url, settings.state_retry_seconds)
        if action == "upgrade":
            applied = store.upgrade(datetime.now(UTC))
            print(f"applied migrations: {applied or 'none'}; schema version {store.current_version()}", file=stdout)
        elif not store.exists():  # reporting on a file must not create it
            print(
                f"schema version 0 (latest {SCHEMA_VERSION}): no state DB yet at {store.engine.url.database}",
                file=stdout,
            )
        else:
            print(f"schema version {store.current_version()} (latest {SCHEMA_VERSION})", file=stdout)
    except (ConfigError, StateUnavailable) as exc:
        return failed(f"db {action}", exc)
    return 0
