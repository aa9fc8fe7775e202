"""Start-up cost of every entry a CronJob, a Lambda cold start or an operator pays.

Prints the median wall time of 10 runs of `python -m jobs list` and of each job's
`--help` (`python -m jobs.<module> --help` where the job is in this build, else
`python -m jobs run <id> --help`). Target on the 2-core machine: <= 300 ms each.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobs.core.registry import JOBS  # noqa: E402

RUNS = 10
TARGET_MS = 300.0


def median_ms(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *argv], cwd=ROOT, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    commands = [["-m", "jobs", "list"]]
    for spec in JOBS.values():
        commands.append(["-m", spec.module, "--help"] if spec.available else ["-m", "jobs", "run", spec.id, "--help"])
    baseline = median_ms(["-c", "pass"])
    print(f"{'command':<52}{'median ms':>10}{'vs target':>11}")
    print(f"{'python -c pass (interpreter floor)':<52}{baseline:>10.0f}")
    for argv in commands:
        ms = median_ms(argv)
        verdict = "ok" if ms <= TARGET_MS else "SLOW"
        print(f"{'python ' + ' '.join(argv):<52}{ms:>10.0f}{verdict:>11}")


if __name__ == "__main__":
    main()
