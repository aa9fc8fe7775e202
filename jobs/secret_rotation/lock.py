"""A secret's lock in the state DB, with its holder's heartbeat.

The lock expires `stale` after its last heartbeat, and the holder beats every third of that
while it holds it, so a holder that died (killed, its node lost, on any host) leaves a lock
that is taken over within `stale`, not after the longest a rotation might take. One on this
host whose process has exited is taken over at once (the state store checks its pid).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jobs.core.errors import PermanentError
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import acquire_resource_lock, refresh_resource_lock, release_resource_lock

log = logging.getLogger("secops.secret_rotation")


def wall_clock() -> datetime:
    """Lock expiry is real time, whatever --now says: other runs judge it by theirs."""
    return datetime.now(UTC)


@dataclass
class SecretLocks:
    state: StateStore
    job_id: str
    run_id: str
    stale: timedelta
    clock: Callable[[], datetime] = wall_clock
    _beats: dict[str, threading.Event] = field(default_factory=dict)

    def take(self, path: str) -> None:
        if not acquire_resource_lock(self.state, self.job_id, path, self.run_id, self.clock(), self.stale):
            raise PermanentError(f"{path}: another run is rotating it")
        if path not in self._beats:
            stop = self._beats[path] = threading.Event()
            threading.Thread(target=self._beat, args=(path, stop), name=f"lock:{path}", daemon=True).start()

    def release(self, path: str) -> None:
        stop = self._beats.pop(path, None)
        if stop is not None:
            stop.set()
        release_resource_lock(self.state, self.job_id, path, self.run_id)

    def _beat(self, path: str, stop: threading.Event) -> None:
        interval = self.stale.total_seconds() / 3
        while not stop.wait(interval):
            try:
                kept = refresh_resource_lock(self.state, self.job_id, path, self.run_id, self.clock(), self.stale)
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried; the next ones may land
                log.warning("lock_heartbeat_failed", extra={"fields": {"path": path, "error": type(exc).__name__}})
                continue
            if not kept and not stop.is_set():
                log.error("lock_lost", extra={"fields": {"path": path}})
                return
