"""A guard against properties that hold vacuously.

A hypothesis property whose assertions sit under `if` passes when no generated case enters
the `if`: a generator narrowed by a later edit (or a policy table that changed under it)
turns it into a test of nothing. The property names the branches it means to exercise,
marks each one a case reaches (also a hypothesis `event`, shown by `--hypothesis-show-
statistics`), and fails after its run when one was never reached.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import event


class Reached:
    def __init__(self, *branches: str) -> None:
        self.branches = branches
        self.seen: Counter[str] = Counter()

    def __call__(self, branch: str) -> None:
        assert branch in self.branches, f"unknown branch {branch!r}"
        event(branch)
        self.seen[branch] += 1

    def check(self) -> None:
        missing = [b for b in self.branches if not self.seen[b]]
        assert not missing, f"no generated case reached {', '.join(missing)}: the property held vacuously"
