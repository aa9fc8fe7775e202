"""Logs: JSON lines on stderr when not a TTY, readable lines on a TTY; never a secret.

Use `log.info("event_name", extra={"fields": {...}})`; the job id and run id come
from the run's context, not from every call site.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from jobs.core import redact

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)


@contextmanager
def log_context(**values: str) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **values})
    try:
        yield
    finally:
        _context.reset(token)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            **(_context.get() or {}),
            "event": record.getMessage(),
        }
        fields = _fields(record)
        if fields:
            entry["fields"] = fields
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact.scrub(json.dumps(entry, default=str, sort_keys=False))


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = _context.get() or {}
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        who = ctx.get("job", "secops")
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{when} {record.levelname.lower():7} {who}: {record.getMessage()} {fields}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact.scrub(line)


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """Route every `secops.*` logger to stderr in the format that fits the terminal."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HumanFormatter() if stream.isatty() else JsonFormatter())
    root = logging.getLogger("secops")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def ensure_configured() -> None:
    """Configure with the defaults unless an entry point already did: what is logged before the
    settings are known (a warning about them) still reaches stderr with its fields."""
    if not logging.getLogger("secops").handlers:
        configure()


class Progress:
    """`[n/total] label` on a TTY for long manual runs; silent everywhere else."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() and total > 1
        self.label, self.total, self.done = label, total, 0

    def step(self) -> None:
        self.done += 1
        if self.enabled:
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r{self.label} [{self.done}/{self.total}]{end}")
            self.stream.flush()
