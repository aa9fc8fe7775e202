"""Running the sample job the way operators do: through the CLI path, in-process or as a process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.core.cli import execute, job_parser
from jobs.core.registry import JobSpec
from jobs.core.runner import Runtime
from tests.sample_jobs import SPEC

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Ran:
    code: int
    stdout: str
    result: dict[str, Any] | None


def write_config(path: Path, settings: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def run_sample(store: Path, *argv: str, spec: JobSpec = SPEC, runtime: Runtime | None = None) -> Ran:
    """One run in-process, as `python -m ... --json`, against the store directory."""
    runtime = runtime or Runtime(sleep=lambda _: None)
    runtime.clients.setdefault("store", str(store))
    out = io.StringIO()
    args = job_parser(spec, "sample").parse_args([*argv, "--json"])
    code, _ = execute(spec, args, runtime, out)
    text = out.getvalue()
    return Ran(code, text, json.loads(text) if text.strip() else None)


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


def outbox(directory: Path) -> list[dict[str, Any]]:
    path = directory / "secops-outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
