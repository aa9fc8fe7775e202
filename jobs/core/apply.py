"""Applying a plan's actions: each isolated and retried, blocked ones deferred, independent
ones in flight together. The runner's acting half; it never sees a dry run.
"""

from __future__ import annotations

import contextvars
import logging
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from jobs.core import redact
from jobs.core.errors import PermanentError, RetryLater, TransientError
from jobs.core.job import Action, BaseJob, Outcome, OutcomeKind
from jobs.core.logs import Progress
from jobs.core.retry import call_with_retry

if TYPE_CHECKING:
    from jobs.core.runner import Runtime

log = logging.getLogger("secops.runner")

DEFERRED_PASSES = 3


def apply_all(job: BaseJob[Any], actions: Sequence[Action], rt: Runtime) -> list[Outcome]:
    """Every action once, in plan order; those blocked by another action (RetryLater) go
    again after the rest, up to DEFERRED_PASSES times. Outcomes keep the plan's order.

    A job whose actions are independent (`parallel_actions` > 1: one rotation per secret)
    has that many in flight; the others (dependency-ordered deletions) run one by one."""
    outcomes: dict[int, Outcome] = {}
    progress = Progress(f"{job.id}: applying", len(actions))
    waiting = list(range(len(actions)))
    workers = max(1, job.parallel_actions)
    for attempt in range(DEFERRED_PASSES + 1):
        last = attempt == DEFERRED_PASSES

        def one(index: int, last: bool = last) -> Outcome | None:
            return _apply_one(job, actions[index], rt, last_pass=last)

        if workers > 1 and len(waiting) > 1:
            with ThreadPoolExecutor(workers) as pool:  # each task in a copy of the log context
                done = list(pool.map(lambda i: contextvars.copy_context().run(one, i), waiting))
        else:
            done = [one(index) for index in waiting]
        blocked = []
        for index, outcome in zip(waiting, done, strict=True):
            if outcome is None:
                blocked.append(index)
                continue
            outcomes[index] = outcome
            progress.step()
        if not blocked:
            break
        waiting = blocked
        rt.sleep(rt.retry.delay(attempt, None, random.Random()))
    return [outcomes[i] for i in range(len(actions))]


def _apply_one(job: BaseJob[Any], action: Action, rt: Runtime, last_pass: bool = True) -> Outcome | None:
    """One action, retried if transient; None when it must wait for the others (RetryLater).

    Whatever happens, the next action still runs.
    """
    fields = {"kind": action.kind, "resource": action.resource}
    try:
        call_with_retry(lambda: job.apply(action), rt.retry, rt.sleep, retry_later=not last_pass)
    except RetryLater as exc:
        if not last_pass:
            log.info("action_deferred", extra={"fields": {**fields, "reason": str(exc)}})
            return None
        log.warning("action_failed", extra={"fields": {**fields, "error": str(exc)}})
        return Outcome(action, OutcomeKind.FAILED, error=redact.scrub(str(exc)))
    except (PermanentError, TransientError) as exc:
        log.warning("action_failed", extra={"fields": {**fields, "error": str(exc)}})
        return Outcome(action, OutcomeKind.FAILED, error=redact.scrub(str(exc)))
    except Exception as exc:  # an adapter bug fails this item only, and is recorded
        log.exception("action_crashed", extra={"fields": fields})
        return Outcome(action, OutcomeKind.FAILED, error=redact.scrub(f"{type(exc).__name__}: {exc}"))
    log.info("action_done", extra={"fields": fields})
    return Outcome(action, OutcomeKind.DONE)
