"""Re-record jobs/demo/usage_report_answers.json: the answers the usage-report demo replays where
Prometheus is not installed (`make usage-demo-answers`, on a machine with Debian's prometheus).

Run it after a change to the demo's tenants or to the Prometheus source's queries: the demo
test checks that the replayed answers give the same PDFs as the real Prometheus.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobs.demo.usage_report import ANSWERS, record  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        count = record(Path(folder))
    print(f"{ANSWERS.relative_to(ROOT)}: {count} answers recorded")


if __name__ == "__main__":
    main()
