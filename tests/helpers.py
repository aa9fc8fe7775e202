"""Running the sample job the way operators do: through the CLI path, in-process or as a process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.core.cli import execute, job_parser
from jobs.core.registry import JobSpec
from jobs.core.runtime import Runtime
from tests.sample_jobs import SPEC

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Ran:
    code: int
    result: dict[str, Any] | None


def write_config(path: Path, settings: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def run_cli(spec: JobSpec, argv: Sequence[str], runtime: Runtime | None = None) -> dict[str, Any]:
    """One run of any job through the command-line path with --json: its result and exit code."""
    out = io.StringIO()
    args = job_parser(spec, spec.id).parse_args([*argv, "--json"])
    code, _ = execute(spec, args, runtime or Runtime(sleep=lambda _: None), out)
    text = out.getvalue()
    result: dict[str, Any] = json.loads(text) if text.strip() else {}
    result["exit_code"] = code
    return result


def run_sample(store: Path, *argv: str, spec: JobSpec = SPEC, runtime: Runtime | None = None) -> Ran:
    """One run of the sample job against the store directory."""
    runtime = runtime or Runtime(sleep=lambda _: None)
    runtime.clients.setdefault("store", str(store))
    result = run_cli(spec, argv, runtime)
    code = result.pop("exit_code")
    return Ran(code, result or None)


def run_sample_process(store: Path, *argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The sample job as its own process (locks, signals, captured stderr)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sample_jobs", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SAMPLE_STORE": str(store), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rival_runs(store: Path, first: Sequence[str], second: Sequence[str], cwd: Path) -> list[tuple[int, str, str]]:
    """Two sample-job processes contending for one run lock: the first holds it in collect until
    the second has either logged that it waits or ended, then lets go. Sequenced by what the
    processes say, never by sleeps, so a loaded machine cannot reorder them. Each run's
    (exit code, stdout, stderr)."""
    (store / "_hold").write_text("60")
    one = run_sample_process(store, *first, cwd=cwd)
    deadline = time.monotonic() + 60
    while not list(store.glob("_holding.*")) and one.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    two = run_sample_process(store, *second, cwd=cwd)
    assert two.stderr is not None
    said = []
    for line in two.stderr:  # ends when the second exits (skipped) or says it waits
        said.append(line)
        if '"event": "run_waiting"' in line:
            break
    (store / "_release").touch()
    results = []
    for process, before in ((one, ""), (two, "".join(said))):
        out, err = process.communicate(timeout=60)
        results.append((process.returncode, out, before + err))
    return results


def outbox(directory: Path) -> list[dict[str, Any]]:
    path = directory / "secops-outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
