"""Top-N APIs and applications, by calls and by failed calls: pure.

A ranking must be the same on every run (the PDF is byte-identical for the same inputs), so ties
are broken by name. Names are the tenant's own text: an empty one, a 10 kB one, a non-ASCII one
are kept as they are (the CSV keeps them whole) and counted in a Note; the report shortens them
when it shows them (locale.display_name). A name reported twice has its figures added up, and a
Note says so, rather than one of the two silently winning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jobs.usage_report.locale import NAME_LIMIT
from jobs.usage_report.model import Breakdown, Note
from jobs.usage_report.values import Checker

#: at most this many value Notes per kind: a source gone wrong for 10,000 APIs is one story
MAX_VALUE_NOTES = 5


def checked(items: Sequence[Breakdown], kind: str) -> tuple[tuple[Breakdown, ...], list[Note]]:
    """The breakdown with bad figures at 0 (and noted) and duplicate names added up, by name."""
    check = Checker()
    merged: dict[str, tuple[float, float]] = {}
    duplicates: list[str] = []
    for item in items:
        calls = check.count(f"{kind}_calls", item.calls, name=item.name) or 0.0
        errors = check.count(f"{kind}_errors", item.errors, name=item.name) or 0.0
        if item.name in merged:
            duplicates.append(item.name)
            before = merged[item.name]
            calls = check.finite(f"{kind}_calls", before[0] + calls, name=item.name) or 0.0
            errors = check.finite(f"{kind}_errors", before[1] + errors, name=item.name) or 0.0
        merged[item.name] = (calls, errors)
    cleaned = tuple(Breakdown(name, *merged[name]) for name in sorted(merged))
    notes = check.notes[:MAX_VALUE_NOTES]
    notes += [Note("name_duplicate", {"kind": kind, "name": name}) for name in sorted(set(duplicates))]
    empty = sum(1 for b in cleaned if not b.name.strip())
    long = sum(1 for b in cleaned if len(b.name.strip()) > NAME_LIMIT)
    if empty:
        notes.append(Note("name_empty", {"kind": kind, "count": empty}))
    if long:
        notes.append(Note("name_long", {"kind": kind, "count": long, "limit": NAME_LIMIT}))
    return cleaned, notes


def top(items: Sequence[Breakdown], n: int, by: Callable[[Breakdown], float]) -> tuple[Breakdown, ...]:
    """The `n` largest by `by` (only those above 0: a top list of zeros says nothing), ties by name."""
    ranked = sorted((b for b in items if by(b) > 0), key=lambda b: (-by(b), b.name))
    return tuple(ranked[: max(n, 0)])


def by_calls(item: Breakdown) -> float:
    return item.calls


def by_errors(item: Breakdown) -> float:
    return item.errors
