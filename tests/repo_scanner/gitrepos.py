"""Real git repositories made in the tests: commits with chosen authors and dates, branches,
merges, rewrites, bare copies. Every call runs the real git, deaf to the machine's config."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from jobs.core.context import JobContext
from jobs.core.settings import Settings
from jobs.core.state.engine import StateStore
from jobs.repo_scanner.settings import RepoScannerSettings

_clock = [1_700_000_000]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Ada Dev",
        GIT_AUTHOR_EMAIL="ada@example.test",
        GIT_COMMITTER_NAME="Ada Dev",
        GIT_COMMITTER_EMAIL="ada@example.test",
        GIT_TERMINAL_PROMPT="0",
        # test repositories need no durability: without fsync a commit does not wait on a disk
        # the image build is saturating (CI ran both at once, and commits took minutes)
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="core.fsync",
        GIT_CONFIG_VALUE_0="none",
    )
    env.update(extra or {})
    return env


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """`git args` in `cwd`, its stdout; a failure raises with git's own words."""
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=git_env(env),
        capture_output=True,
        check=False,
        timeout=120,  # a hang names its command, not the test's timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def init(path: Path, bare: bool = False) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", *(["--bare"] if bare else []))
    return path


def commit(repo: Path, files: Mapping[str | bytes, str | bytes | None], message: str = "change") -> str:
    """Write (None: delete) the files, commit them with the next fake date; the commit id."""
    for name, content in files.items():
        path = repo / (os.fsdecode(name) if isinstance(name, bytes) else name)
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    _clock[0] += 60
    stamp = f"{_clock[0]} +0000"
    git(repo, "add", "-A")
    git(
        repo,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
    )
    return git(repo, "rev-parse", "HEAD")


def state_store(tmp_path: Path) -> StateStore:
    """A migrated SQLite state DB under tmp_path."""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.upgrade(NOW)
    return store


def context(
    state: StateStore, cfg: RepoScannerSettings | None = None, **options: object
) -> JobContext[RepoScannerSettings]:
    """A JobContext of the repo scanner's section over `state`."""
    return JobContext(Settings(), cfg or RepoScannerSettings(), state, "run", False, options=options)


def fast_import(repo: Path, commits: int, line: Callable[[int], str]) -> str:
    """`commits` commits on main, the i-th appending `line(i)` to one of 50 files, written by
    `git fast-import` (a thousand in well under a second); the tip."""
    chunks: list[bytes] = []
    contents: dict[str, str] = {}
    for i in range(commits):
        name = f"src/module_{i % 50}.py"
        contents[name] = contents.get(name, "") + line(i) + "\n"
        data = contents[name].encode()
        message = f"change {i}".encode()
        chunks += [
            b"commit refs/heads/main\n",
            f"mark :{i + 1}\n".encode(),
            f"committer Ada Dev <ada@example.test> {1_700_000_000 + i * 60} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message + b"\n",
            *([f"from :{i}\n".encode()] if i else []),
            f"M 100644 inline {name}\n".encode(),
            f"data {len(data)}\n".encode() + data + b"\n",
        ]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(chunks), env=git_env(), check=True)
    git(repo, "reset", "-q", "--hard", "main")
    return git(repo, "rev-parse", "main")
