"""Start-up cost of every entry a CronJob, a Lambda cold start or an operator pays.

Prints the wall time of `python -m jobs list` and of each job's `--help` (`python -m
jobs.<module> --help` where the job is in this build, else `python -m jobs run <id> --help`),
each beside two floors measured in the same rounds: the interpreter's (`python -c pass`) and
the import of the heaviest dependency every run loads (`python -c 'import sqlalchemy'`, the
state store). Prints min/median of the rounds, each command's ratio to both floors, and the
absolute target on the 2-core machine: <= 300 ms each.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import Sample, interleave, options, ratio  # noqa: E402

from jobs.core.registry import JOBS  # noqa: E402

TARGET_MS = 300.0
HEAVIEST = "sqlalchemy"  # the heaviest import every run pays (the state store); --help and list do not


def timer(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=ROOT, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    args = options(__doc__, rounds=10)
    commands = [["-m", "jobs", "list"]]
    for spec in JOBS.values():
        commands.append(["-m", spec.module, "--help"] if spec.available else ["-m", "jobs", "run", spec.id, "--help"])
    if args.quick:
        commands = commands[:2]
    floor = Sample("python -c pass", "ms")
    heavy = Sample(f"python -c 'import {HEAVIEST}'", "ms")
    samples = [Sample("python " + " ".join(argv), "ms") for argv in commands]
    sides = [(floor, lambda: timer(["-c", "pass"])), (heavy, lambda: timer(["-c", f"import {HEAVIEST}"]))]
    sides += [(s, lambda argv=argv: timer(argv)) for s, argv in zip(samples, commands, strict=True)]
    interleave(args.rounds, sides)
    print(f"{'command':<52}{'min ms':>8}{'median':>8}{'vs target':>11}")
    for sample in [floor, heavy, *samples]:
        verdict = "" if sample in (floor, heavy) else ("ok" if sample.median <= TARGET_MS else "SLOW")
        print(f"{sample.name:<52}{min(sample.values):>8.0f}{sample.median:>8.0f}{verdict:>11}")
    for sample in samples:
        print(ratio(sample, floor, f"{sample.name} / interpreter floor"))
        print(ratio(sample, heavy, f"{sample.name} / import {HEAVIEST}"))


if __name__ == "__main__":
    main()
