"""Rotating one secret: lock → create → set → test → finish → restart, each step journaled
in the state DB before and after it runs (one step's `after` and the next one's `before`
share a commit), each step check-then-act and idempotent.

A crash anywhere leaves a journal without its `closed` entry; the next run resumes it:
before the new value reached any target it is rolled back (nothing to undo but the KV
version), after that it goes forward (set and test again, finish, restart), and a failure
on the way rolls every target and the KV back to the previous value. Values live only in
Vault: the journal holds version numbers and target names, never a value.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from jobs.core import redact
from jobs.core.errors import PermanentError, TransientError
from jobs.core.job import iso
from jobs.core.retry import RetryPolicy, call_with_retry
from jobs.core.state import JournalEntry, StateStore
from jobs.secret_rotation.generate import Alphabet, new_value
from jobs.secret_rotation.model import CURRENT, LAST_ROTATED, PENDING, ROTATED_BY, ManagedSecret
from jobs.secret_rotation.targets import Data, Target
from jobs.secret_rotation.vault_kv import Kv

STEPS = ("lock", "create", "set", "test", "finish", "restart")
CLOSED = "closed"
#: names a step; the process kills itself right after that step is journaled (crash tests)
FAULT_ENV = "SECOPS_FAULT_AFTER_STEP"


class Rule(Protocol):
    """How a type's new value is made (settings.Generation satisfies it)."""

    @property
    def length(self) -> int: ...

    @property
    def alphabet(self) -> Alphabet: ...

    @property
    def key(self) -> str: ...


@dataclass
class Rotator:
    kv: Kv
    state: StateStore
    job_id: str
    run_id: str
    actor: str
    now: datetime
    targets_for: Callable[[str, str], Sequence[Target]]  # (path, type)
    rule_for: Callable[[str], Rule]
    test_attempts: int = 5
    test_backoff: float = 0.5
    rollout_timeout: float = 300.0
    lock_ttl: timedelta = timedelta(minutes=30)
    sleep: Callable[[float], None] = time.sleep

    # -- entry points -----------------------------------------------------------------
    def rotate(self, path: str, secret_type: str, expected_version: int) -> str:
        """Rotate `path` from the version the plan saw; a newer one means someone else wrote it."""
        op = _Op(self, path, str(uuid.uuid4()))
        self._lock(path)
        try:
            secret = self._secret(path)
            if secret.latest_version != expected_version:
                raise PermanentError(f"{path}: version {secret.latest_version} appeared since the plan; next run")
            old = self.kv.data(path, expected_version)
            rule = self.rule_for(secret_type)
            if not old.get(rule.key):
                raise PermanentError(f"{path}: no `{rule.key}` in the secret to rotate")
            targets = self.targets_for(path, secret_type)
            for target in targets:
                self._retry(partial(target.check, old))  # the current value works: a broken target is not made worse
            op.advance("lock", {"from": expected_version, "type": secret_type}, then="create")
        except Exception:
            op.close("nothing changed")
            self._unlock(path)
            raise
        op.fault("lock")
        new = {**old, rule.key: new_value(rule.length, rule.alphabet)}
        redact.register(new[rule.key])
        try:
            to = self.kv.write(path, new, cas=expected_version)
            self.kv.set_custom(path, {**secret.metadata, CURRENT: str(expected_version), PENDING: str(to)})
        except (PermanentError, TransientError) as exc:
            raise PermanentError(
                _failed(path, exc, self._roll_back(op, secret, expected_version, old, targets))
            ) from None
        op.advance("create", {"from": expected_version, "to": to}, then="set")
        op.fault("create")
        return self._forward(op, secret, expected_version, to, old, new, targets, done=set(), begun=True)

    def resume(self, path: str, secret_type: str, entries: Sequence[JournalEntry]) -> tuple[str, bool]:
        """Finish or undo the rotation a crash interrupted. Returns what happened and whether
        nothing had changed (the caller may then rotate afresh)."""
        op = _Op(self, path, entries[0].operation_id)
        done = {e.step for e in entries if e.phase == "after"}
        rolling_back = any(e.step == "rollback" for e in entries)
        start = next((e.data["from"] for e in entries if "from" in e.data), None)
        to = next((e.data["to"] for e in reversed(entries) if "to" in e.data), None)
        self._lock(path)
        try:
            secret = self._secret(path)
            if start is not None and to is None and secret.latest_version > start:
                to = secret.latest_version  # the write went through, its journal entry did not
            if start is None or (to is None and not rolling_back):
                op.close("nothing changed")
                self._unlock(path)
                return "interrupted before anything changed", True
            old = self.kv.data(path, start)
            targets = self.targets_for(path, secret_type)
            if rolling_back or "create" not in done:  # no target had the new value, or undoing was under way
                problems = self._roll_back(op, secret, start, old, targets, restarted="finish" in done)
                if problems:
                    raise PermanentError(
                        f"{path}: rollback of the interrupted rotation incomplete: {'; '.join(problems)}"
                    )
                return f"interrupted rotation rolled back to version {start}'s value", False
            assert to is not None
            new = self.kv.data(path, to)
            return self._forward(op, secret, start, to, old, new, targets, done) + " (resumed)", False
        except Exception:
            self._unlock(path)  # the journal stays open: the next run tries again
            raise

    # -- the protocol -----------------------------------------------------------------
    def _forward(
        self,
        op: _Op,
        secret: ManagedSecret,
        start: int,
        to: int,
        old: Data,
        new: Data,
        targets: Sequence[Target],
        done: set[str],
        begun: bool = False,
    ) -> str:
        """set → test → finish → restart (only restart once finished); `begun`: the first
        step's `before` entry is already in the journal."""

        run: dict[str, Callable[[], dict[str, Any]]] = {
            "set": partial(self._set_all, targets, new),
            "test": partial(self._test_all, targets, new),
            "finish": partial(self._finish, secret, to),
            "restart": partial(self._restart, targets),
        }
        order = ["restart"] if "finish" in done else ["set", "test", "finish", "restart"]
        ids = {"from": start, "to": to}
        try:
            if not begun:
                op.step(order[0], "before", ids)
            for position, name in enumerate(order):
                facts = run[name]()
                op.advance(name, {**ids, **facts}, then=order[position + 1] if position + 1 < len(order) else None)
                op.fault(name)
        except (PermanentError, TransientError) as exc:
            problems = self._roll_back(op, secret, start, old, targets, restarted=True)
            raise PermanentError(_failed(secret.path, exc, problems)) from None
        op.close(f"version {to} current")
        self._unlock(secret.path)
        names = ", ".join(t.name for t in targets) or "no targets"
        return f"rotated to version {to}; set and tested on {names}"

    # -- the steps: each returns the facts its journal entry records ----------------------
    def _set_all(self, targets: Sequence[Target], new: Data) -> dict[str, Any]:
        for target in targets:
            self._retry(partial(target.set, new))
        return {"targets": [t.name for t in targets]}

    def _test_all(self, targets: Sequence[Target], new: Data) -> dict[str, Any]:
        for target in targets:
            self._test(target, new)
        return {}

    def _finish(self, secret: ManagedSecret, to: int) -> dict[str, Any]:
        custom = {k: v for k, v in secret.metadata.items() if k != PENDING}
        custom.update({CURRENT: str(to), LAST_ROTATED: iso(self.now), ROTATED_BY: self.actor})
        self.kv.set_custom(secret.path, custom)
        return {"previous": secret.metadata.get(LAST_ROTATED)}  # what a rollback puts back

    def _retry(self, call: Callable[[], None]) -> None:
        """A consumer's outage or throttling is waited out (bounded) before it fails the rotation."""
        call_with_retry(call, RetryPolicy(attempts=3, base_delay=self.test_backoff or 0.5), self.sleep)

    def _test(self, target: Target, new: Data) -> None:
        for attempt in range(self.test_attempts):
            try:
                target.test(new)
                return
            except TransientError:
                if attempt == self.test_attempts - 1:
                    raise
                self.sleep(self.test_backoff * 2**attempt)

    def _restart(self, targets: Sequence[Target]) -> dict[str, Any]:
        for target in targets:
            target.restart(self.now)
        deadline = time.monotonic() + self.rollout_timeout
        for target in targets:
            target.wait_ready(deadline)
        return {}

    def _roll_back(
        self, op: _Op, secret: ManagedSecret, start: int, old: Data, targets: Sequence[Target], restarted: bool = False
    ) -> list[str]:
        """Every target and the KV back to version `start`'s value (written as a new version,
        like `kv rollback`, so readers of the latest version get it too). Returns what could
        not be put back."""
        op.step("rollback", "before", {"from": start})
        problems = []
        for target in targets:
            try:
                self._retry(partial(target.restore, old))
            except (PermanentError, TransientError) as exc:
                problems.append(str(exc))
        fresh = self._secret(secret.path)
        custom = {k: v for k, v in secret.metadata.items() if k != PENDING}
        current = start
        if fresh.latest_version != start:
            current = self.kv.write(secret.path, old, cas=fresh.latest_version)
        previous = next((e for e in op.entries() if e.step == "finish" and e.phase == "after"), None)
        if previous is not None and previous.data.get("previous"):
            custom[LAST_ROTATED] = previous.data["previous"]
        self.kv.set_custom(secret.path, {**custom, CURRENT: str(current)})
        if restarted:
            try:
                self._restart(targets)
            except (PermanentError, TransientError) as exc:
                problems.append(str(exc))
        op.step("rollback", "after", {"from": start, "current": current, "problems": problems})
        op.close(f"rolled back to version {current}")
        self._unlock(secret.path)
        return problems

    # -- helpers ----------------------------------------------------------------------
    def _secret(self, path: str) -> ManagedSecret:
        secret = self.kv.secret(path)
        if secret is None:
            raise PermanentError(f"{path}: no such secret")
        return secret

    def _lock(self, path: str) -> None:
        wall = datetime.now(UTC)  # lock expiry is real time, whatever --now says
        if not self.state.acquire_resource_lock(self.job_id, path, self.run_id, wall, self.lock_ttl):
            raise PermanentError(f"{path}: another run is rotating it")

    def _unlock(self, path: str) -> None:
        self.state.release_resource_lock(self.job_id, path, self.run_id)


def _failed(path: str, cause: Exception, problems: list[str]) -> str:
    undone = f"rollback incomplete: {'; '.join(problems)}" if problems else "rolled back"
    return f"{path}: rotation failed ({cause}); {undone}"


@dataclass
class _Op:
    rotator: Rotator
    path: str
    id: str

    def step(self, step: str, phase: str, data: Mapping[str, Any]) -> None:
        r = self.rotator
        r.state.journal(r.job_id, self.path, self.id, r.now, [(step, phase, {**data, "run_id": r.run_id})])

    def advance(self, step: str, data: Mapping[str, Any], then: str | None) -> None:
        """`step` done and, in the same commit, `then` about to start: one write per step."""
        rows = [(step, "after", data), *([(then, "before", data)] if then else [])]
        r = self.rotator
        r.state.journal(r.job_id, self.path, self.id, r.now, [(s, p, {**d, "run_id": r.run_id}) for s, p, d in rows])

    def close(self, outcome: str) -> None:
        self.step("done", CLOSED, {"outcome": outcome})

    def entries(self) -> list[JournalEntry]:
        return self.rotator.state.open_operations(self.rotator.job_id, CLOSED).get(self.path, [])

    def fault(self, step: str) -> None:
        if os.environ.get(FAULT_ENV) == step:
            os.kill(os.getpid(), signal.SIGKILL)
