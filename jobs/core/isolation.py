"""One entry of a job's table run on its own: its crash becomes its `RunError`, the rest goes on.

Every table a job walks (certificate sources, repository targets and scanners, usage sources)
reaches a system the job does not control, and one broken entry must never blind the others
nor end the run with a traceback. A `ConfigError` still goes up: the operator's mistake stops
the run before anything is done (exit 2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from jobs.core import redact
from jobs.core.errors import ConfigError
from jobs.core.model import RunError

T = TypeVar("T")


def describe(exc: BaseException) -> str:
    """An exception as one scrubbed line (a URL's password or a token in an error is cut)."""
    return redact.scrub(f"{type(exc).__name__}: {exc}")


def isolated(
    call: Callable[[], T],
    source: str,
    errors: list[RunError],
    log: logging.Logger,
    event: str,
    fields: Mapping[str, object] | None = None,
    explain: Callable[[BaseException], str] = describe,
) -> T | None:
    """`call()`, or None with its crash logged (`event`, `fields`) and recorded as `source`'s error."""
    try:
        return call()
    except ConfigError:
        raise
    except Exception as exc:  # one entry's crash is its error, never the run's
        log.exception(event, extra={"fields": dict(fields or {})})
        errors.append(RunError(source, explain(exc)))
        return None
