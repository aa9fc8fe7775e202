"""What every bench shares: `--quick`, interleaved rounds and the ratio line.

This VM's speed wanders by 2x from hour to hour, so an absolute figure says little on its own.
Each bench measures its figure and an anchor (a floor or a peer doing the same work) in the
same run, round by round, one after the other, so both see the same machine; it prints the
min and median of each and the ratio of the medians. A ratio is only printed when both sides
did the same work: `refuse` says why not instead.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def options(
    doc: str | None, rounds: int, more: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """`--quick` (a smoke run: small inputs, two rounds) and `--rounds N`; `more` adds a bench's own."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    if more is not None:
        more(parser)
    parser.add_argument("--quick", action="store_true", help="small inputs and 2 rounds: a smoke run, not a figure")
    parser.add_argument("--rounds", type=int, default=None, help=f"rounds of each side (default {rounds}, quick 2)")
    args = parser.parse_args()
    args.rounds = args.rounds or (2 if args.quick else rounds)
    return args


@dataclass
class Sample:
    """One side's figures, one per round: rates (higher is better) or times (lower is better)."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self) -> str:
        low, high = min(self.values), max(self.values)
        spread = f"min {low:,.1f}, max {high:,.1f}; {len(self.values)} rounds"
        return f"{self.name}: median {self.median:,.1f} {self.unit} ({spread})"


def interleave(rounds: int, sides: list[tuple[Sample, Callable[[], float]]]) -> None:
    """Run every side once per round, in turn, appending each figure to its sample."""
    for _ in range(rounds):
        for sample, measure in sides:
            sample.values.append(measure())


def ratio(ours: Sample, anchor: Sample, what: str) -> str:
    """The line a reader (and the smoke test) looks for: ours over the anchor, medians."""
    rounds = (
        f"medians of {len(ours.values)} interleaved rounds"
        if len(ours.values) == len(anchor.values)
        else f"medians of {len(ours.values)} and {len(anchor.values)} rounds"
    )
    return (
        f"ratio {what}: {ours.median / anchor.median:.2f}x "
        f"({ours.name} {ours.median:,.1f} {ours.unit} / {anchor.name} {anchor.median:,.1f} {anchor.unit}, {rounds})"
    )


def refuse(what: str, reason: str) -> str:
    """Said instead of a ratio when the two sides did not do the same work."""
    return f"no ratio {what}: {reason}"


def show(ours: Sample, anchor: Sample, what: str) -> None:
    print(f"  {ours.line()}")
    print(f"  {anchor.line()}")
    print(ratio(ours, anchor, what))


def timed(
    argv: list[str], env: dict[str, str], cwd: Path, timeout: float | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    """One command under /usr/bin/time: its output and its wall, CPU seconds and peak RSS alone
    (the time of that process and its children, not of this one)."""
    stats = cwd / "time.txt"
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(stats), *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    wall, user, system, rss = stats.read_text().split()[-4:]
    return proc, {"wall": float(wall), "cpu": float(user) + float(system), "rss_mb": int(rss) / 1024}
