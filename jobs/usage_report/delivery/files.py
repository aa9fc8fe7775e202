"""What a stored report is made of: the PDF, and the CSV and JSON of its figures beside it."""

from __future__ import annotations

from jobs.usage_report.model import Bundle

#: suffix → (the bundle's bytes, Content-Type)
KINDS = {".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}


def files(bundle: Bundle, figures: bool) -> list[tuple[str, bytes, str]]:
    """(suffix, bytes, content type) of each file to store, the figures if asked. The PDF comes
    first: a run stopped between two files leaves a PDF without its figures (`--force` writes
    them again), never figures of a report that was not stored."""
    chosen = [(".pdf", bundle.pdf)]
    if figures:
        chosen += [(".csv", bundle.csv), (".json", bundle.json)]
    return [(suffix, content, KINDS[suffix]) for suffix, content in chosen]
