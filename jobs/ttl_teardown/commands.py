"""`python -m jobs.ttl_teardown explain <resource>` and `... extend <resource> --days N --reason T --by E`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from jobs.core.cli import parse_now
from jobs.core.errors import ConfigError

COMMANDS = ("explain", "extend")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.ttl_teardown", description="explain or extend one resource")
    sub = parser.add_subparsers(dest="command", required=True)
    explain = sub.add_parser("explain", help="why a resource is kept, warned or deleted")
    extend = sub.add_parser("extend", help="give a resource more time (owner only)")
    for p in (explain, extend):
        p.add_argument("resource", help="ARN, k8s:<ns>/<kind>/<name>, or the resource's name")
        p.add_argument("--config", metavar="PATH")
        p.add_argument("--now", type=parse_now, metavar="ISO8601")
    extend.add_argument("--days", type=int, required=True)
    extend.add_argument("--reason", required=True)
    extend.add_argument("--by", required=True, metavar="EMAIL", help="who asks: must be the owner")
    args = parser.parse_args(argv)

    from jobs.core import logs
    from jobs.core.settings import load_settings
    from jobs.ttl_teardown.extend import ExtensionRefused
    from jobs.ttl_teardown.extend import explain as do_explain
    from jobs.ttl_teardown.extend import extend as do_extend

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
            print(f"ttl-teardown: configuration error: {problem}", file=sys.stderr)
        return 2
    except ExtensionRefused as exc:
        print(f"ttl-teardown: {args.command} refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0
