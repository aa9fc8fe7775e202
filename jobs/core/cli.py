"""`python -m jobs list|run|schedule|demo|audit|db` and `python -m jobs.<module>`.

An entry point: argv becomes a RunRequest for invoke.py. Parsing needs only the registry;
settings, state and job code load after it, so `--help` and `list` stay fast
(bench/startup.py). The other entry points (`schedule`, `demo`) are named in COMMANDS and
loaded only when asked for: none of the entry points imports another.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from jobs.core.errors import UsageError
from jobs.core.registry import JOBS, JobSpec, load_attr

if TYPE_CHECKING:
    from jobs.core.invoke import RunRequest
    from jobs.core.model import RunResult
    from jobs.core.runtime import Runtime

SEVERITY_CHOICES: Final = ("critical", "warning", "info")
#: subcommands that are entry points of their own, each called with the parsed arguments
COMMANDS: Final[dict[str, str]] = {
    "schedule": "jobs.core.scheduler:command",
    "demo": "jobs.demo:command",
    "permissions": "jobs.core.deploy.commands:permissions",
    "generate": "jobs.core.deploy.commands:generate",
    "manifests": "jobs.core.deploy.commands:manifests",
}


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
    """`--now` and `audit --since` as argparse types: the message says why, naming the value."""
    from jobs.core.model import parse_instant

    try:
        return parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
        elif option.kind == "values":
            parser.add_argument(option.flag, dest=f"opt_{option.name}", action="append", help=option.help)
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


def request(spec: JobSpec, args: argparse.Namespace) -> RunRequest:
    """The run a parsed command line asks for; ConfigError for a bad --shard."""
    from jobs.core.invoke import RunRequest
    from jobs.core.model import Severity
    from jobs.core.runtime import RunOptions, Shard

    values = {o.name: getattr(args, f"opt_{o.name}", None) for o in spec.options}
    options = RunOptions(
        dry_run=args.dry_run,
        now=args.now,
        fail_on=Severity(args.fail_on) if args.fail_on else None,
        shard=Shard.parse(args.shard) if args.shard else None,
        job_args={k: v for k, v in values.items() if v not in (None, False, [])},
    )
    return RunRequest(spec, options, args.config)


def execute(
    spec: JobSpec,
    args: argparse.Namespace,
    runtime: Runtime | None = None,
    stdout: TextIO | None = None,
) -> tuple[int, RunResult | None]:
    """Run one job from parsed options and print what happened (--json: the result)."""
    from jobs.core.errors import ConfigError
    from jobs.core.invoke import invoke
    from jobs.core.report import write_refusal, write_result

    try:
        code, result = invoke(request(spec, args), runtime)
    except ConfigError as exc:
        return write_refusal(spec.id, exc), None
    write_result(result, stdout or sys.stdout, args.json)
    return code, result


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


def main_parser() -> argparse.ArgumentParser:
    """`python -m jobs` and its subcommands."""
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
    permissions = sub.add_parser("permissions", help="the IAM, RBAC or Vault policy each job needs, from its settings")
    permissions.add_argument("--job", metavar="ID", help="only this job (prints the bare policy)")
    permissions.add_argument("--format", required=True, choices=("iam", "rbac", "vault"))
    permissions.add_argument("--config", metavar="PATH", help="the settings the deployment runs with")
    permissions.add_argument("--namespace", default="secops", help="rbac: the jobs' namespace (default: secops)")
    generate = sub.add_parser(
        "generate", help="write every deployment artifact (cronjobs/, lambda/, monitoring/, docs/)"
    )
    generate.add_argument("--root", default=".", metavar="DIR", help="the repository root (default: .)")
    generate.add_argument("--config", default="config/example.yaml", metavar="PATH", help="settings to generate from")
    manifests = sub.add_parser("manifests", help="write the Kubernetes manifests: a kustomize base and overlays")
    manifests.add_argument(
        "--output", default="cronjobs", metavar="DIR", help="the folder to write (default: cronjobs)"
    )
    manifests.add_argument(
        "--config",
        default="config/example.yaml",
        metavar="PATH",
        help="the settings the deployment runs with: its RBAC and ConfigMap (default: config/example.yaml)",
    )
    db = sub.add_parser("db", help="state database schema")
    db.add_argument("action", choices=("upgrade", "status"))
    db.add_argument("--config", metavar="PATH")
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Entry of `python -m jobs` and the `secops-jobs` console script."""
    stdout = stdout or sys.stdout
    args = parsed(main_parser(), argv)
    if isinstance(args, int):
        return args
    if args.command == "list":
        return _list(args.json, stdout)
    if args.command == "run":
        return execute(JOBS[args.job], args, stdout=stdout)[0]
    if args.command in COMMANDS:
        command: int = load_attr(COMMANDS[args.command])(args, stdout)
        return command
    if args.command == "settings-reference":
        from jobs.core.settings_doc import reference

        stdout.write(reference())
        return 0
    if args.command == "audit":
        from jobs.core.audit import main as audit_main

        return audit_main(args.job, args.since, args.json, args.config, stdout)
    return _db(args.action, args.config, stdout)


def _db(action: str, config: str | None, stdout: TextIO) -> int:
    from datetime import UTC

    from jobs.core.audit import failed
    from jobs.core.errors import ConfigError, StateUnavailable
    from jobs.core.resolve import load_settings
    from jobs.core.state.engine import StateStore
    from jobs.core.state.schema import SCHEMA_VERSION

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
