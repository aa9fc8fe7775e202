import sys

from jobs.core.cli import job_main
from jobs.ttl_teardown.commands import COMMANDS

if sys.argv[1:2] and sys.argv[1] in COMMANDS:
    from jobs.ttl_teardown.commands import main

    raise SystemExit(main(sys.argv[1:]))
raise SystemExit(job_main("ttl-teardown"))
