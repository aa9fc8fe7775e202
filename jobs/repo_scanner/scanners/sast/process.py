"""Run one command with a deadline; past it, kill its whole process group (semgrep forks
semgrep-core and workers: killing only the parent would leave them scanning)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from jobs.core import redact


@dataclass(frozen=True)
class Finished:
    code: int | None
    stdout: bytes
    stderr_tail: str  # scrubbed, the last lines only
    seconds: float
    timed_out: bool = False


GRACE_SECONDS = 5.0  # for semgrep to stop after SIGTERM


def _tail(stderr: bytes, lines: int = 5) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()[-lines:]
    return redact.scrub(" | ".join(line.strip() for line in text))[:600]


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Finished:
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = _stop(proc)
        return Finished(proc.returncode, out, _tail(err), time.monotonic() - started, timed_out=True)
    return Finished(proc.returncode, out, _tail(err), time.monotonic() - started)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Past the deadline: SIGTERM to semgrep's whole session (it started one: its semgrep-core
    children go too), then, if the leader still lingers, kill it. Its output so far."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()
