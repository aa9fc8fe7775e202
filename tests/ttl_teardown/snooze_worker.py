"""One process of the concurrency tests: a Lambda instance (forked with the modules imported,
the settings and state DB not yet read: its first request reads them) that answers one POST of
a snooze link through the real handler, released with the others at a barrier."""

from __future__ import annotations

from typing import Any


def post(body: str, barrier: Any, answers: Any) -> None:
    """POST `body` (a link's form) once every process is ready; put (status, page) on `answers`."""
    from jobs.core.aws_lambda import handler
    from tests.ttl_teardown.snooze_site import url_event

    event = url_event("POST", body=body, b64=True)
    barrier.wait(timeout=300)
    try:
        answer = handler(event, None)
        answers.put((answer["statusCode"], answer["body"]))
    except BaseException as exc:  # a traceback out of the handler: the test reports it
        answers.put((-1, repr(exc)))


def record(url: str, days: float, barrier: Any, answers: Any) -> None:
    """Record one extension of one resource through the store, deciding slowly (a slow
    inventory read or rule): the window in which another process records one too."""
    import time
    from datetime import UTC, datetime

    from jobs.core.state.engine import StateStore
    from jobs.ttl_teardown.extension_rules import ExtensionRules, extension_refusal
    from jobs.ttl_teardown.state import NewExtension, Refusal, record_extension

    rules = ExtensionRules(allowed_days=(7, 14), max_count=3, max_total_days=21)
    tags = {"owner": "dana@example.com"}

    def slow_rule(granted: Any) -> str | None:
        time.sleep(0.3)
        return extension_refusal(tags, "dana@example.com", int(days), granted, rules)

    store = StateStore(url)
    barrier.wait(timeout=300)
    new = NewExtension("arn:aws:ec2:eu-west-1:123456789012:instance/i-0race", days, "race", "dana@example.com",
                       datetime.now(UTC))  # fmt: skip
    outcome = record_extension(store, new, slow_rule, attempts=8)
    answers.put("refused" if isinstance(outcome, Refusal) else f"granted {outcome.number}")
