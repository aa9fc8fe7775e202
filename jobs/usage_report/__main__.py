from jobs.core.cli import job_main

raise SystemExit(job_main("usage-report"))
