"""Applying a plan's actions: each isolated and retried, blocked ones deferred, independent
ones in flight together, each recorded before and after it acts. The runner's acting half;
it never sees a dry run.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jobs.core import redact
from jobs.core.errors import EndpointDown, PermanentError, RetryLater, StateUnavailable, TransientError
from jobs.core.intents import AuditLog
from jobs.core.job import BaseJob
from jobs.core.logs import Progress
from jobs.core.model import Action, Outcome, OutcomeKind
from jobs.core.retry import call_with_retry
from jobs.core.runtime import Runtime
from jobs.core.settings import JobSettings

log = logging.getLogger("secops.runner")

DEFERRED_PASSES = 3
#: consecutive actions that could not reach their endpoint before the rest are skipped
BREAKER_LIMIT = 3


class Breaker:
    """Opens after BREAKER_LIMIT consecutive EndpointDown failures, or at once when the state DB
    cannot record: waiting out a dead endpoint one action at a time only delays the report,
    and acting unrecorded is never allowed. Any answer from an endpoint resets the count."""

    def __init__(self, limit: int = BREAKER_LIMIT) -> None:
        self.limit, self.count, self.reason = limit, 0, ""
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return bool(self.reason)

    def failed(self, exc: EndpointDown) -> None:
        with self._lock:
            self.count += 1
            if self.count >= self.limit and not self.reason:
                self.reason = f"not attempted: {self.count} actions in a row could not connect (last: {exc})"

    def trip(self, exc: StateUnavailable) -> None:
        with self._lock:
            self.reason = self.reason or f"not attempted: the state DB cannot record it ({exc})"

    def answered(self) -> None:
        with self._lock:
            self.count = 0


class Applier:
    """One run's acting: the audit writer, the breaker and the intents still open by index."""

    def __init__(self, job: BaseJob[Any, JobSettings], actions: Sequence[Action], rt: Runtime, audit: AuditLog) -> None:
        self.job, self.actions, self.rt, self.audit = job, actions, rt, audit
        self.breaker = Breaker()
        self.intents: dict[int, str] = {}  # action index → its open intent (kept while deferred)
        self.unstarted: list[Outcome] = []  # skipped before an intent was written
        self._lock = threading.Lock()

    def run(self) -> list[Outcome]:
        """Every action once, in plan order; those blocked by another action (RetryLater) go
        again after the rest, up to DEFERRED_PASSES times. Outcomes keep the plan's order.

        A job whose actions are independent (`parallel_actions` > 1: one rotation per secret)
        has that many in flight; the others (dependency-ordered deletions) run one by one."""
        outcomes: dict[int, Outcome] = {}
        progress = Progress(f"{self.job.id}: applying", len(self.actions))
        waiting = list(range(len(self.actions)))
        workers = max(1, self.job.parallel_actions)
        for attempt in range(DEFERRED_PASSES + 1):
            last = attempt == DEFERRED_PASSES

            def one(index: int, last: bool = last) -> Outcome | None:
                return self.one(index, last_pass=last)

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
            if not self.breaker.open:
                self.rt.sleep(self.rt.retry.delay(attempt, None, random.Random()))
        self._record_unstarted()
        return [outcomes[i] for i in range(len(self.actions))]

    def one(self, index: int, last_pass: bool = True) -> Outcome | None:
        """One action: intent, side effect, outcome; None when it must wait for the others."""
        action = self.actions[index]
        if self.breaker.open:
            return self._close(index, Outcome(action, OutcomeKind.SKIPPED, reason=self.breaker.reason))
        if index not in self.intents:
            try:
                self.intents[index] = self.audit.started(action)
            except StateUnavailable as exc:  # no side effect without a durable intent
                log.error("action_not_recorded", extra={"fields": {"resource": action.resource, "error": str(exc)}})
                self.breaker.trip(exc)
                return self._close(index, Outcome(action, OutcomeKind.FAILED, error=f"not attempted: {exc}"))
        outcome = self._act(action, last_pass)
        return None if outcome is None else self._close(index, outcome)

    def _act(self, action: Action, last_pass: bool) -> Outcome | None:
        """The side effect, retried if transient. Whatever happens, the next action still runs."""
        fields = {"kind": action.kind, "resource": action.resource}
        try:
            call_with_retry(lambda: self.job.apply(action), self.rt.retry, self.rt.sleep, retry_later=not last_pass)
        except RetryLater as exc:
            self.breaker.answered()
            if not last_pass:
                log.info("action_deferred", extra={"fields": {**fields, "reason": str(exc)}})
                return None
            return _failed(action, exc, fields)
        except EndpointDown as exc:
            self.breaker.failed(exc)
            return _failed(action, exc, fields)
        except (PermanentError, TransientError) as exc:
            self.breaker.answered()
            return _failed(action, exc, fields)
        except StateUnavailable as exc:  # a job's own journal could not be written
            self.breaker.trip(exc)
            return _failed(action, exc, fields)
        except Exception as exc:  # an adapter bug fails this item only, and is recorded
            log.exception("action_crashed", extra={"fields": fields})
            return Outcome(action, OutcomeKind.FAILED, error=redact.scrub(f"{type(exc).__name__}: {exc}"))
        self.breaker.answered()
        log.info("action_done", extra={"fields": fields})
        return Outcome(action, OutcomeKind.DONE)

    def _close(self, index: int, outcome: Outcome) -> Outcome:
        """Record the outcome on the action's intent (or keep it for one batch at the end). An
        outcome that cannot be written leaves the intent open for a later run to settle."""
        action_id = self.intents.pop(index, None)
        if action_id is None:
            with self._lock:
                self.unstarted.append(outcome)
            return outcome
        try:
            self.audit.finished(action_id, outcome)
        except StateUnavailable as exc:
            log.error(
                "outcome_not_recorded",
                extra={
                    "fields": {"resource": outcome.action.resource, "outcome": str(outcome.outcome), "error": str(exc)}
                },
            )
            self.breaker.trip(exc)
        return outcome

    def _record_unstarted(self) -> None:
        try:
            self.audit.record(self.unstarted)
        except StateUnavailable as exc:
            log.error("actions_not_recorded", extra={"fields": {"count": len(self.unstarted), "error": str(exc)}})


def _failed(action: Action, exc: Exception, fields: dict[str, str]) -> Outcome:
    log.warning("action_failed", extra={"fields": {**fields, "error": str(exc)}})
    return Outcome(action, OutcomeKind.FAILED, error=redact.scrub(str(exc)))


def apply_all(job: BaseJob[Any, JobSettings], actions: Sequence[Action], rt: Runtime, audit: AuditLog) -> list[Outcome]:
    return Applier(job, actions, rt, audit).run()
