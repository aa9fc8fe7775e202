"""`python -m jobs audit [--job ID] [--since ISO8601] [--json]`: every recorded action.

"What did it delete last week?" must get a true answer: the rows are written as runs act
(intents.py, into the audit store jobs/core/state/audit.py), so an action of a run that was
killed is here too, as `started` until a later run settles it. Read-only: a state DB that
does not exist yet is not created.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from jobs.core import redact
from jobs.core.errors import ConfigError, StateUnavailable
from jobs.core.model import iso
from jobs.core.state import audit
from jobs.core.state.engine import StateStore

COLUMNS = ("run_id", "job", "at", "kind", "resource", "outcome", "reason", "error")
AUDIT_SINCE = 2  # the migration that made the audit table


def entries(store: StateStore, job: str | None, since: datetime | None) -> list[dict[str, Any]]:
    """The audit rows in the order they were written, as the contract names their fields."""
    if not store.exists() or store.current_version() < AUDIT_SINCE:
        return []
    return [_entry(*row) for row in store.retrying(lambda: audit.entries(store, job, since), "read the audit")]


def _entry(*values: Any) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values, strict=True))
    return {**row, "at": iso(row["at"])}


def table(rows: Sequence[dict[str, Any]]) -> str:
    """Aligned columns under a header; the run id shortened as in run reports."""
    cells = [[str(c) for c in COLUMNS]]
    for row in rows:
        values = {**row, "run_id": row["run_id"][:8], "error": row["error"] or ""}
        cells.append([" ".join(str(values[c]).split()) for c in COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    if not rows:
        lines.append("(no recorded actions)")
    return "\n".join(lines)


def failed(command: str, exc: ConfigError | StateUnavailable) -> int:
    """One line per problem on stderr, named by the command: exit 2 for configuration, 1 for
    a state DB that could not be used."""
    if isinstance(exc, StateUnavailable):
        print(f"{command}: {redact.scrub(str(exc))}", file=sys.stderr)
        return 1
    for problem in exc.problems:
        print(f"{command}: configuration error: {redact.scrub(problem)}", file=sys.stderr)
    return 2


def main(job: str | None, since: datetime | None, as_json: bool, config: str | None, stdout: TextIO) -> int:
    from jobs.core.resolve import load_settings

    try:
        settings = load_settings(config)
        store = StateStore(settings.state_db_url, settings.state_retry_seconds)
        rows = entries(store, job, since)
    except (ConfigError, StateUnavailable) as exc:
        return failed("audit", exc)
    if as_json:
        stdout.write(redact.scrub(json.dumps(rows)) + "\n")
    else:
        print(redact.scrub(table(rows)), file=stdout)
    return 0
