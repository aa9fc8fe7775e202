import sys

from jobs.ttl_teardown.commands import COMMANDS

if sys.argv[1:2] and sys.argv[1] in COMMANDS:
    from jobs.ttl_teardown.commands import main

    raise SystemExit(main(sys.argv[1:]))

from jobs.core.cli import execute
from jobs.core.registry import JOBS
from jobs.ttl_teardown.commands import run_parser

raise SystemExit(execute(JOBS["ttl-teardown"], run_parser().parse_args())[0])
