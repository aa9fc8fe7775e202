"""Waiting out a state DB that is locked, busy or unreachable, within a bound.

A run must neither lose a record because another connection held SQLite's write lock for
40 s, nor wait forever: each operation is retried with exponential backoff until
`state_retry_seconds`, then raises StateUnavailable naming `state_db_url` and the driver's
reason, so the runner can stop acting and say why in one line.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from jobs.core import redact
from jobs.core.errors import StateUnavailable
from jobs.core.state.base import Store

log = logging.getLogger("secops.state")
T = TypeVar("T")
P = ParamSpec("P")

S = TypeVar("S", bound=Store)

#: how long a write waits out a locked or unreachable state DB before the run gives up on it
RETRY_SECONDS = 60.0
#: SQLite waits this long for another writer itself before each retry of ours
SQLITE_BUSY_MS = 5000
#: SQLite errors that pass (another writer); any other (unopenable, read-only) will not
_SQLITE_BUSY = ("locked", "busy")


def driver_reason(exc: DBAPIError) -> str:
    """The driver's own words, first line only (psycopg adds hints on further lines)."""
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return redact.scrub(lines[0] if lines else type(exc).__name__)


def retrying(fn: Callable[[], T], what: str, seconds: float, dialect: str) -> T:
    """`fn` again, with bounded backoff, while the DB is locked, busy or unreachable; then
    StateUnavailable. A SQLite file that cannot be opened or written fails at once: waiting
    will not change it. Integrity errors are answers, not outages: they propagate."""
    deadline = time.monotonic() + seconds
    delay = 0.1
    while True:
        try:
            return fn()
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError):
                raise
            reason = driver_reason(exc)
            passing = dialect != "sqlite" or any(word in reason.lower() for word in _SQLITE_BUSY)
            if not passing or time.monotonic() + delay > deadline:
                raise StateUnavailable(f"state_db_url: {what}: {reason}") from None
            log.warning("state_db_retry", extra={"fields": {"operation": what, "reason": reason}})
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def durable(fn: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """A store operation retried while the DB is locked or unreachable (StateStore.retrying)."""

    def wrapper(state: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return state.retrying(lambda: fn(state, *args, **kwargs), fn.__name__)

    functools.update_wrapper(wrapper, fn)
    return wrapper
