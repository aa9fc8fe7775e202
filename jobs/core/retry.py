"""Bounded retries with exponential backoff and jitter, for the systems whose client does not
retry by itself (README, Reliability: which layer retries what)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from jobs.core.errors import RetryLater, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` calls in all, sleeping `base * 2**n` (capped) between them."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        backoff: float = min(self.max_delay, self.base_delay * 2.0**attempt)
        jittered = backoff * (0.5 + rng.random() / 2)
        if retry_after is not None:
            return float(min(self.max_delay, max(jittered, retry_after)))
        return jittered


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    retry_later: bool = False,
) -> T:
    """Call `fn`, retrying only `TransientError`; the last one propagates, marked `retried`.

    One layer per fault: an error some layer below already retried (`retried`: botocore spent
    its attempts, an inner call_with_retry gave up, EndpointDown after the client's own
    connection retries) propagates at once, and the one this call gives up on is marked so the
    layers above (the runner's action retry) do not try it again.

    With `retry_later`, a RetryLater propagates at once: the caller tries it again after
    the other work of the run rather than sleeping on it here.
    """
    rng = rng or random.Random()
    for attempt in range(policy.attempts):
        try:
            return fn()
        except TransientError as exc:
            if isinstance(exc, RetryLater) and retry_later:
                raise
            if exc.retried:
                raise
            if attempt == policy.attempts - 1:
                exc.retried = True
                raise
            retry_after = None if isinstance(exc, RetryLater) else exc.retry_after
            sleep(policy.delay(attempt, retry_after, rng))
    raise AssertionError("unreachable: attempts must be >= 1")
