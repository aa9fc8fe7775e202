"""The one way this job runs git: bounded, quiet, deaf to the machine's configuration.

Every call has a timeout, never prompts, reads no system or global config and runs no hook,
fsmonitor, external diff or textconv a repository's own config could name (we scan repositories
we do not trust). Credentials travel only in the subprocess's environment (`GIT_CONFIG_*`
entries scoped to the remote's host), never in argv, a URL, `.git/config` or an error: every
error text is scrubbed (`redact.scrub`) after the token was registered.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from jobs.core import redact
from jobs.core.errors import PermanentError

#: -c options ahead of every subcommand: what a repository's config (or ours) could make git run
SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.quotePath=false",
    "protocol.ext.allow=never",
    "safe.directory=*",  # a checkout owned by another user (a CI volume) is still read
    "credential.helper=",
    "gc.auto=0",
)
#: stderr of a clone or fetch worth one more try: the network, not the request
TRANSIENT = re.compile(
    r"could not resolve host|timed out|connection (reset|refused|timed out)|early eof|rpc failed|"
    r"returned error: 5\d\d|unexpected disconnect|cannot lock ref|remote end hung up",
    re.IGNORECASE,
)


class GitError(PermanentError):
    """A git command that failed; its message is scrubbed and names the command, not its URL."""


class TransientGitError(GitError):
    """A clone or fetch that failed for a reason of the network: tried once more (`network`),
    then it is a GitError like any other; no layer above retries it again."""


def _clean_environment() -> dict[str, str]:
    """The process environment without anything that redirects git (GIT_DIR from a hook, an
    askpass helper that would prompt), plus what keeps it quiet and predictable. An operator's
    GIT_SSH_COMMAND (a deploy key) is kept; without one, ssh never asks either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "SSH_ASKPASS"}
    env["GIT_SSH_COMMAND"] = os.environ.get(
        "GIT_SSH_COMMAND", "ssh -o BatchMode=yes"
    )  # a deploy key's, or none that asks
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ASKPASS="true",  # asked anyway, it answers nothing rather than hang
        LC_ALL="C",
    )
    return env


def credential_free(url: str) -> tuple[str, str | None]:
    """(the URL without user:password, the password if it had one). The clean URL is what the
    cache is keyed and configured with; the password travels as a header only."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.password


def auth_environment(url: str, token: str, user: str = "oauth2") -> dict[str, str]:
    """`http.<scheme://host/>.extraHeader` in the environment: basic auth as GitLab takes a
    token (`oauth2:<token>`), sent to that host only, never written anywhere."""
    redact.register(token)
    basic = base64.b64encode(f"{user}:{token}".encode()).decode()
    redact.register(basic)
    parts = urlsplit(url)
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


@dataclass(frozen=True)
class Git:
    """git against one repository (`git_dir`, or a working tree `cwd`), with one timeout."""

    timeout: float
    git_dir: Path | None = None
    cwd: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    ceiling: Path | None = None  # never look for a repository above this directory

    def argv(self, args: Sequence[str]) -> list[str]:
        base = ["git", *(x for c in SAFE_CONFIG for x in ("-c", c))]
        if self.git_dir is not None:
            base.append(f"--git-dir={self.git_dir}")
        return [*base, *args]

    def environment(self) -> dict[str, str]:
        env = _clean_environment()
        if self.ceiling is not None:
            env["GIT_CEILING_DIRECTORIES"] = str(self.ceiling)
        env.update(self.extra_env)
        return env

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """One git command, its output as bytes (paths are not always UTF-8)."""
        try:
            done = subprocess.run(  # noqa: S603 - argv from us, never a shell
                self.argv(args),
                cwd=self.cwd,
                env=self.environment(),
                input=input,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]}: no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise GitError(f"git {args[0]}: cannot run git ({exc.strerror})") from None
        if check and done.returncode != 0:
            raise self.failure(args, done.stderr)
        return done

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", "replace").strip()

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def failure(self, args: Sequence[str], stderr: bytes) -> GitError:
        said = stderr.decode("utf-8", "replace").strip().splitlines()
        reason = redact.scrub(said[-1] if said else "failed")
        kind = TransientGitError if TRANSIENT.search(reason) else GitError
        return kind(f"git {args[0]}: {reason}")

    def network(self, *args: str, before_retry: Callable[[], None] | None = None) -> None:
        """A clone or fetch: once more after a transient failure (after `before_retry`, which
        clears what the first attempt left), then the error."""
        try:
            self.run(*args)
        except TransientGitError:
            if before_retry is not None:
                before_retry()
            self.run(*args)

    @contextmanager
    def stream(self, *args: str, input: bytes = b"") -> Iterator[IO[bytes]]:
        """A long output (git log -p, cat-file --batch) read as it comes; `input` is written
        from a thread so neither side waits on a full pipe. Killed at the timeout."""
        proc = subprocess.Popen(  # noqa: S603 - argv from us
            self.argv(args),
            cwd=self.cwd,
            env=self.environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        timer = threading.Timer(self.timeout, proc.kill)
        timer.start()
        errors: list[bytes] = []
        readers = [
            threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True),
            threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
        ]
        for thread in readers:
            thread.start()
        stopped = False
        try:
            yield proc.stdout
            stopped = bool(proc.stdout.read(1))  # the caller had what it wanted: git need not finish
            if stopped:
                proc.kill()
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for thread in readers:
            thread.join()
        if stopped:
            return
        if code < 0:
            raise GitError(f"git {args[0]}: no answer within {self.timeout:g} s")
        if code != 0:
            raise self.failure(args, b"".join(errors))


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # git exited early (a bad revision): its stderr says why
        pass
