"""The rotation job as its own process, killed with SIGKILL right after one step's journal entry
is durable: the crash tests' entry point. Production code has no such hook; this script hands
the rotator a checkpoint that kills the process it runs in.

Usage: python -m tests.secret_rotation.crashing STEP [job options...]
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from jobs.core.cli import execute, job_parser
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.secret_rotation.rotation import Checkpoint

SPEC = JOBS["secret-rotation"]


def killed_after(step: str) -> Checkpoint:
    """A checkpoint that kills this process, as the OOM killer or a node loss would, at `step`."""

    def kill(done: str) -> None:
        if done == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return Checkpoint(kill)


def main(argv: Sequence[str]) -> int:
    step, *rest = argv
    args = job_parser(SPEC, "python -m tests.secret_rotation.crashing STEP").parse_args(rest)
    return execute(SPEC, args, Runtime(clients={"rotation-checkpoint": killed_after(step)}))[0]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
