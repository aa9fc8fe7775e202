from jobs.core.cli import main

raise SystemExit(main())
