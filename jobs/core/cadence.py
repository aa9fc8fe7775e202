"""Windows measured between scheduled runs: "again after 24 h", "fresh for 7 days".

A run scheduled daily never starts exactly 24 h after the one before: pods are scheduled,
Lambdas start cold, a lock is waited for. Comparing `now - last >= window` strictly turns
"every 24 h" into "every 48 h" whenever today's run starts a few seconds earlier than
yesterday's. So a window counts as elapsed when what is left of it is at most a tenth of
it: a run due within a tenth of the window is on time. Pure; time is an argument.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

#: the share of a window a run may start early and still count as on time
JITTER: Final = 0.1


def elapsed(since: datetime, now: datetime, window: timedelta | float) -> bool:
    """Whether `window` (a timedelta, or hours as a float) has passed since `since`, as of
    `now`, allowing for start jitter. Never raises: an infinite or NaN window never elapses,
    a zero or negative one always has (settings validation rejects those before here)."""
    seconds = window.total_seconds() if isinstance(window, timedelta) else float(window) * 3600.0
    if math.isnan(seconds) or seconds == math.inf:
        return False
    return (now - since).total_seconds() >= seconds * (1.0 - JITTER)
