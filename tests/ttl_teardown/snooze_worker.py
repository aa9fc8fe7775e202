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
