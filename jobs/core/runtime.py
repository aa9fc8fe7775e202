"""What one run is asked to do and with what: its options (RunOptions, Shard) and the seams
tests and the scheduler hand in (Runtime). Shared by the runner and its acting half, apply,
below both, so neither imports the other for them."""

from __future__ import annotations

import getpass
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.core.errors import ConfigError
from jobs.core.model import Severity
from jobs.core.retry import RetryPolicy

#: who acted: the scheduler, a Lambda, or the person at the terminal
ACTOR = os.environ.get("SECOPS_ACTOR") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or getpass.getuser()


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, sep, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            raise ConfigError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
        if not sep or shard.count < 1 or not 0 <= shard.index < shard.count:
            raise ConfigError(f"--shard {text!r}: need 0 <= i < n")
        return shard

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Stable across processes and Python versions (unlike hash()). Any str is a key, even
        one with lone surrogates (a file name that is not UTF-8): UTF-8 text hashes as before."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool | None = None  # None: the job's settings decide
    now: datetime | None = None
    fail_on: Severity | None = None
    shard: Shard | None = None
    job_args: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    """Seams for tests and the scheduler: clocks, sleeping and pre-built clients (by name,
    checked against the kind each job asks for: JobContext.client)."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    clients: dict[str, object] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
