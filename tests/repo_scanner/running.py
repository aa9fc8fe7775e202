"""Running the repo scanner as CI does, through the command-line path, on repositories a test
writes: its settings file (state, outbox and every path under tmp_path) and its result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from jobs.core.registry import JOBS
from tests.helpers import run_cli, write_config

QUIET: dict[str, Any] = {"sast": {"enabled": False}, "gitleaks": {"enabled": False}}


def config(tmp_path: Path, notifications: dict[str, Any] | None = None, **repo_scanner: Any) -> str:
    """A settings file: state and outbox in tmp_path, semgrep off unless asked (3 s a run)."""
    section = {"scanners": QUIET, **repo_scanner}
    return write_config(
        tmp_path / "settings.yaml",
        {
            "state_db_url": f"sqlite:///{tmp_path / 'state.db'}",
            "notifications": notifications or {"file": {"path": str(tmp_path / "outbox.jsonl")}},
            "repo_scanner": section,
        },
    )


def scan(cfg: str, *argv: str) -> dict[str, Any]:
    """One run: its JSON result with `exit_code`."""
    return run_cli(JOBS["repo-scanner"], ["--config", cfg, *argv])


def git_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repository with `files` committed (the scanners read a real checkout)."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.test"]
    subprocess.run([*git[:3], "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    return path


def package_lock(packages: dict[str, str | None]) -> str:
    """A v3 package-lock.json: name → license (None: no license key)."""
    entries: dict[str, Any] = {"": {"name": "app", "version": "1.0.0"}}
    for name, license in packages.items():
        entry: dict[str, Any] = {"version": "1.0.0"}
        if license is not None:
            entry["license"] = license
        entries[f"node_modules/{name}"] = entry
    return json.dumps({"name": "app", "lockfileVersion": 3, "requires": True, "packages": entries}, indent=2)
