"""A Prometheus over a promtool backfill, on a free loopback port: the demo's, the bench's and
the tests' (tests/services.prometheus_backfilled) real Prometheus with history.

Blocks up to 31 days (`--max-block-duration`, hidden in 2.42): at the 2 h default promtool
re-reads the whole file once per block, hundreds of times for a month. Retention is a
century: it counts back from the newest block, and the data is as old as the caller says.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from jobs.demo.openbao import stop  # a child stopped by its PID: the same for both


@dataclass(frozen=True)
class Binaries:
    prometheus: str
    promtool: str


def binaries() -> Binaries | None:
    """Prometheus and promtool on PATH (Debian's `prometheus` package), or None."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    return Binaries(prometheus, promtool) if prometheus and promtool else None


def backfill(found: Binaries, openmetrics: Path, datadir: Path) -> float:
    """Blocks for `openmetrics` under `datadir`; the seconds promtool took."""
    started = time.monotonic()
    subprocess.run(  # noqa: S603 - our own binary, our own arguments
        [found.promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", "--quiet",
         str(openmetrics), str(datadir)],
        check=True, capture_output=True, timeout=1800,
    )  # fmt: skip
    return time.monotonic() - started


def start(found: Binaries, datadir: Path, timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], str]:
    """Prometheus serving `datadir` (scraping nothing), and its URL once `/-/ready` answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = datadir.parent / f"{datadir.name}.yml"
    config.write_text("global: {}\nscrape_configs: []\n")
    proc = subprocess.Popen(  # noqa: S603
        [found.prometheus, f"--config.file={config}", f"--storage.tsdb.path={datadir}",
         "--storage.tsdb.retention.time=36500d", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"Prometheus over {datadir} did not get ready within {timeout:g}s")
