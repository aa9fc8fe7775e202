"""`python -m jobs.ttl_teardown explain <resource>` and `... extend <resource> --days N --reason T --by E`.

The run's own `--help` lists these commands too (`run_parser`): an operator who reads only
`python -m jobs.ttl_teardown --help` must learn that explain and extend exist.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime

from jobs.core.cli import job_parser, parse_now
from jobs.core.errors import ConfigError
from jobs.core.registry import JOBS

COMMANDS = ("explain", "extend")
PROG = "python -m jobs.ttl_teardown"
RESOURCE_HELP = "its ARN or k8s:<ns>/<kind>/<name>, its short id (i-0abc, a bucket), or its Name tag"

USAGE = f"""
  {PROG} [options]                 run the job once (plan only unless --apply)
  {PROG} explain RESOURCE [--config PATH] [--now ISO8601]
  {PROG} extend RESOURCE --days N --reason TEXT --by EMAIL [--config PATH] [--now ISO8601]"""

EPILOG = f"""commands:
  explain RESOURCE   why a resource is kept, warned or due for deletion, as the next run would decide
  extend RESOURCE    give it more time (owner only; --days one of the allowed sizes); refused for a
                     resource that is never deleted (prod, restricted, opted out, whitelisted)
  RESOURCE is {RESOURCE_HELP}.
  `{PROG} explain --help` and `{PROG} extend --help` show their options."""


def run_parser() -> argparse.ArgumentParser:
    """The job's run options, with the commands in the usage and the help's epilog."""
    parser = job_parser(JOBS["ttl-teardown"], PROG)
    parser.usage = USAGE
    parser.description = textwrap.fill(parser.description or "", 100)
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="explain or extend one resource")
    sub = parser.add_subparsers(dest="command", required=True)
    explain = sub.add_parser("explain", help="why a resource is kept, warned or due for deletion")
    extend = sub.add_parser("extend", help="give a resource more time (owner only)")
    for p in (explain, extend):
        p.add_argument("resource", help=RESOURCE_HELP)
        p.add_argument("--config", metavar="PATH")
        p.add_argument("--now", type=parse_now, metavar="ISO8601")
    extend.add_argument("--days", type=int, required=True)
    extend.add_argument("--reason", required=True)
    extend.add_argument("--by", required=True, metavar="EMAIL", help="who asks: must be the owner")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)

    from jobs.core import logs, redact
    from jobs.core.resolve import load_settings
    from jobs.ttl_teardown.extend import explain as do_explain
    from jobs.ttl_teardown.extend import extend as do_extend
    from jobs.ttl_teardown.lookup import ExtensionRefused, Unreadable

    now = args.now or datetime.now(UTC)
    try:
        settings = load_settings(args.config)
        logs.configure(settings.log_level)
        if args.command == "explain":
            answer = do_explain(settings, args.resource, now)
        else:
            answer = do_extend(settings, args.resource, args.days, args.reason, args.by, now)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"ttl-teardown: configuration error: {redact.scrub(problem)}", file=sys.stderr)
        return 2
    except Unreadable as exc:
        print(f"ttl-teardown: {args.command} failed: {redact.scrub(str(exc))}; nothing was changed", file=sys.stderr)
        return 1
    except ExtensionRefused as exc:
        print(f"ttl-teardown: {args.command} refused: {redact.scrub(str(exc))}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0
