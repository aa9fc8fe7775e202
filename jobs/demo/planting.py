"""Secrets of real formats with random values, and a git repository to commit them to: the
repo-scanner demo's sandbox and the tests' planted secrets (scanners skip `EXAMPLE`-style and
sequential values, so every value here is drawn fresh from `secrets`).

`git` runs the real binary with a fixed identity and dates given by the caller, and no
user or system configuration (a developer's hooks or signing settings never interfere).
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_BASE62: Final = string.digits + string.ascii_uppercase + string.ascii_lowercase
_BASE32: Final = string.ascii_uppercase + "234567"
_SECRET_KEY: Final = string.ascii_letters + string.digits + "/+"


def _draw(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def aws_key_pair() -> tuple[str, str]:
    """An access key id (AKIA + 16 base32) and its 40-character secret access key."""
    return "AKIA" + _draw(_BASE32, 16), _draw(_SECRET_KEY, 40)


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


def github_token(prefix: str = "ghp_") -> str:
    """A classic personal access token: 30 random base62 characters and their CRC32 (base62,
    6 characters), as GitHub makes them."""
    body = _draw(_BASE62, 30)
    return prefix + body + _base62(zlib.crc32(body.encode()), 6)


def password(length: int = 24) -> str:
    return _draw(string.ascii_letters + string.digits, length)


def postgres_url(host: str = "db.internal") -> tuple[str, str]:
    """A connection string with a password, and that password."""
    secret = password()
    return f"postgresql://app:{secret}@{host}:5432/app", secret


def private_key_pem() -> str:
    """A fresh EC P-256 private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass(frozen=True)
class Repo:
    """A git working tree made for a sandbox or a test."""

    root: Path

    def git(self, *args: str, when: str = "2026-11-01T09:00:00+00:00") -> str:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Dana Dev",
            "GIT_AUTHOR_EMAIL": "dana@example.com",
            "GIT_COMMITTER_NAME": "Dana Dev",
            "GIT_COMMITTER_EMAIL": "dana@example.com",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        done = subprocess.run(  # noqa: S603 - git, with arguments we build
            ["git", "-C", str(self.root), *args],  # noqa: S607 - git from PATH, as the scanner runs it
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {args[0]} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(self, files: Mapping[str, str | None], message: str, when: str = "2026-11-01T09:00:00+00:00") -> str:
        """Write (or, for None, delete) the files, commit them all; the new commit's id."""
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.git("add", "-A", when=when)
        self.git("commit", "-q", "-m", message, when=when)
        return self.git("rev-parse", "HEAD")


def new_repo(root: Path, branch: str = "main") -> Repo:
    root.mkdir(parents=True, exist_ok=True)
    repo = Repo(root)
    repo.git("init", "-q", "-b", branch)
    return repo
