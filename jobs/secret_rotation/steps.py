"""Rotating one secret: lock → create → set → test → finish → restart, each step journaled
in the state DB before and after it runs (one step's `after` and the next one's `before`
share a commit), each step check-then-act and idempotent.

When a step fails, nothing is assumed about what the consumers hold: they are asked
(settle.py), put back on the old value, and Vault's current version becomes the one they
all hold, the new one if that is what they kept. A consumer out of reach leaves the journal
open and the new value pending; the next run asks again. A crash anywhere leaves a journal
without its `closed` entry; the next run resumes it: before the new value reached any
target it is rolled back (nothing to undo but the KV version), after that it goes forward
(set and test again, finish, restart), and a settle under way is settled. Values live only
in Vault: the journal holds version numbers and target names, never a value.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from jobs.core import redact
from jobs.core.digits import is_ascii_digits
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import iso
from jobs.core.retry import RetryPolicy, call_with_retry
from jobs.core.state.engine import StateStore
from jobs.secret_rotation import consumers
from jobs.secret_rotation.generate import new_value
from jobs.secret_rotation.journal import CLOSED, Operation
from jobs.secret_rotation.journal_store import JournalEntry
from jobs.secret_rotation.lock import SecretLocks
from jobs.secret_rotation.model import (
    CURRENT,
    LAST_ROTATED,
    PENDING,
    ROLLBACKS,
    ROLLED_BACK_AT,
    ROTATED_BY,
    ManagedSecret,
)
from jobs.secret_rotation.rotation import Checkpoint, Rotation, Rule
from jobs.secret_rotation.settle import Held, current_while_unsettled, next_direction, verdict
from jobs.secret_rotation.targets import Data, Target
from jobs.secret_rotation.vault_kv import Kv

__all__ = ["CLOSED", "STEPS", "Rotator"]
STEPS = ("lock", "create", "set", "test", "finish", "restart")
T = TypeVar("T")


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
    lock_ttl: timedelta = timedelta(minutes=1)
    sleep: Callable[[float], None] = time.sleep
    checkpoint: Checkpoint = field(default_factory=Checkpoint)

    def __post_init__(self) -> None:
        self.locks = SecretLocks(self.state, self.job_id, self.run_id, self.lock_ttl)

    def _op(self, path: str, operation_id: str) -> Operation:
        return Operation(self.state, self.job_id, self.run_id, self.now, path, operation_id)

    # -- entry points -----------------------------------------------------------------
    def rotate(self, path: str, secret_type: str, expected_version: int) -> str:
        """Rotate `path` from the version the plan saw; a newer one means someone else wrote it."""
        self.locks.take(path)
        try:
            return self._rotate(self._op(path, str(uuid.uuid4())), secret_type, expected_version)
        finally:
            self.locks.release(path)

    def _rotate(self, op: Operation, secret_type: str, expected_version: int) -> str:
        try:
            secret = self._secret(op.path)
            if secret.latest_version != expected_version:
                raise PermanentError(f"{op.path}: version {secret.latest_version} appeared since the plan; next run")
            self.kv.check_room(secret)
            r = Rotation(op, secret, expected_version, self.kv.data(op.path, expected_version), ())
            rule = self.rule_for(secret_type)
            if not r.old.get(rule.key):
                raise PermanentError(f"{op.path}: no `{rule.key}` in the secret to rotate")
            r.targets = self.targets_for(op.path, secret_type)
            for target in r.targets:
                self._retry(partial(target.check, r.old))  # the current value works: a broken target is not made worse
            if secret.metadata.get(CURRENT) != str(expected_version):
                # Without it the latest version is current: a new one written while Vault then
                # went away would be current before any consumer held it.
                self.kv.set_custom(op.path, {**secret.metadata, CURRENT: str(expected_version)})
            op.advance("lock", {"from": expected_version, "type": secret_type}, then="create")
        except Exception:
            op.close("nothing changed")
            raise
        self.checkpoint("lock")
        r.new = {**r.old, rule.key: new_value(rule.length, rule.alphabet)}
        redact.register(r.new[rule.key])
        try:
            r.to = self.kv.write(op.path, r.new, cas=expected_version)
            self.kv.set_custom(op.path, {**secret.metadata, CURRENT: str(expected_version), PENDING: str(r.to)})
        except (PermanentError, TransientError) as exc:
            raise PermanentError(_failed(op.path, exc, self._keep_old(r, restart=False))) from None
        op.advance("create", {"from": expected_version, "to": r.to}, then="set")
        self.checkpoint("create")
        return self._forward(r, done=set(), begun=True)

    def resume(self, path: str, secret_type: str, entries: Sequence[JournalEntry]) -> tuple[str, bool]:
        """Finish or undo the rotation a crash or an outage interrupted. Returns what happened
        and whether nothing had changed (the caller may then rotate afresh)."""
        op = self._op(path, entries[0].operation_id)
        done = {e.step for e in entries if e.phase == "after"}
        settling = any(e.step == "rollback" for e in entries)
        start = next((e.data["from"] for e in entries if "from" in e.data), None)
        to = next((e.data["to"] for e in reversed(entries) if "to" in e.data), None)
        self.locks.take(path)
        try:
            secret = self._secret(path)
            if start is not None and to is None and secret.latest_version > start:
                to = secret.latest_version  # the write went through, its journal entry did not
            if start is None or (to is None and not settling):
                op.close("nothing changed")
                return "interrupted before anything changed", True
            r = Rotation(op, secret, start, self.kv.data(path, start), self.targets_for(path, secret_type))
            if to is None or "create" not in done:  # no target was given the new value
                problems = self._keep_old(r, restart=False)
                if problems:
                    raise PermanentError(
                        f"{path}: rollback of the interrupted rotation incomplete: {'; '.join(problems)}"
                    )
                return f"interrupted rotation rolled back to version {start}'s value", False
            r.to, r.new = to, self.kv.data(path, to)
            if settling:
                return self._settle(r, None, restart="finish" in done) + " (resumed)", False
            return self._forward(r, done) + " (resumed)", False
        finally:
            self.locks.release(path)

    # -- the protocol -----------------------------------------------------------------
    def _forward(self, r: Rotation, done: set[str], begun: bool = False) -> str:
        """set → test → finish → restart (only restart once finished); `begun`: the first
        step's `before` entry is already in the journal."""
        run: dict[str, Callable[[], dict[str, Any]]] = {
            "set": partial(self._set_all, r),
            "test": partial(self._test_all, r),
            "finish": partial(self._finish, r),
            "restart": partial(consumers.restart, r.targets, self.now, self.rollout_timeout),
        }
        order = ["restart"] if "finish" in done else ["set", "test", "finish", "restart"]
        ids = {"from": r.start, "to": r.to}
        try:
            if not begun:
                r.op.step(order[0], "before", ids)
            for position, name in enumerate(order):
                facts = run[name]()
                r.op.advance(name, {**ids, **facts}, then=order[position + 1] if position + 1 < len(order) else None)
                self.checkpoint(name)
        except (PermanentError, TransientError) as exc:
            return self._settle(r, exc, restart=True)
        r.op.close(f"version {r.to} current")
        names = ", ".join(t.name for t in r.targets) or "no targets"
        return f"rotated to version {r.to}; set and tested on {names}"

    def _settle(self, r: Rotation, cause: Exception | None, restart: bool) -> str:
        """Every consumer on one value and Vault calling that one current. A consumer that
        refused (a permanent cause) is put back on the old value first; after an outage, or
        on resuming, each is asked first, and a value they all hold is kept as it is."""
        r.op.step("rollback", "before", {"from": r.start, "to": r.to})
        look = cause is None or isinstance(cause, TransientError)
        held, problems = self._ask(r) if look else ([Held.UNKNOWN] * len(r.targets), [])
        tried: list[Held] = []
        while (direction := next_direction(held, tried)) is not None:
            tried.append(direction)
            moved = consumers.move(r.targets, held, direction, r.old, r.new, self._retry)
            held, problems = self._ask(r)
            problems = moved + problems
        kept = verdict(held)
        if kept is Held.NEW:
            return self._keep_new(r, restart)
        if kept is Held.OLD:
            undone = self._keep_old(r, restart, refused=cause is not None)
            if cause is None and not undone:
                return f"interrupted rotation rolled back to version {r.start}'s value"
            raise PermanentError(_failed(r.path, cause or "interrupted", undone))
        self._unsettled(r, held)
        states = ", ".join(f"{t.name}: {h}" for t, h in zip(r.targets, held, strict=True))
        raise PermanentError(
            f"{r.path}: rotation failed ({cause or 'interrupted'}); consumers disagree ({states}): "
            f"version {r.to} stays pending and the next run settles it; {'; '.join(problems)}"
        )

    # -- the steps: each returns the facts its journal entry records ----------------------
    def _set_all(self, r: Rotation) -> dict[str, Any]:
        for target in r.targets:
            self._retry(partial(target.set, r.new))
        return {"targets": [t.name for t in r.targets]}

    def _test_all(self, r: Rotation) -> dict[str, Any]:
        for target in r.targets:
            self._test(target, r.new)
        return {}

    def _finish(self, r: Rotation) -> dict[str, Any]:
        custom = {k: v for k, v in r.secret.metadata.items() if k not in (PENDING, ROLLBACKS, ROLLED_BACK_AT)}
        custom.update({CURRENT: str(r.to), LAST_ROTATED: iso(self.now), ROTATED_BY: self.actor})
        self.kv.set_custom(r.path, custom)
        return {"previous": r.secret.metadata.get(LAST_ROTATED)}  # what a rollback puts back

    def _retry(self, call: Callable[[], T]) -> T:
        """A consumer's outage or throttling is waited out (bounded) before it fails the rotation."""
        return call_with_retry(call, RetryPolicy(attempts=3, base_delay=self.test_backoff or 0.5), self.sleep)

    def _test(self, target: Target, new: Data) -> None:
        for attempt in range(self.test_attempts):
            try:
                target.test(new)
                return
            except TransientError as exc:
                if exc.retried or attempt == self.test_attempts - 1:  # its client's own tries are spent
                    raise
                self.sleep(self.test_backoff * 2**attempt)

    # -- settling: ask, move, keep ------------------------------------------------------
    def _ask(self, r: Rotation) -> tuple[list[Held], list[str]]:
        return consumers.ask(r.targets, r.old, r.new, self._retry)

    def _keep_new(self, r: Rotation, restart: bool) -> str:
        self._finish(r)
        problems = consumers.restart_quietly(r.targets, self.now, self.rollout_timeout) if restart else []
        r.op.step("rollback", "after", {"from": r.start, "current": r.to, "problems": problems})
        r.op.close(f"version {r.to} current")
        if problems:
            raise PermanentError(f"{r.path}: version {r.to} kept, every consumer holds it; {'; '.join(problems)}")
        return f"rotated to version {r.to}; every consumer was found holding it"

    def _keep_old(self, r: Rotation, restart: bool, refused: bool = False) -> list[str]:
        """The KV back to version `start`'s value (written as a new version, like `kv rollback`,
        so readers of the latest version get it too). Returns what could not be done."""
        fresh = self._secret(r.path)
        custom = {k: v for k, v in r.secret.metadata.items() if k != PENDING}
        current = r.start
        if fresh.latest_version != r.start:
            current = self.kv.write(r.path, r.old, cas=fresh.latest_version)
            if refused:  # two versions spent on a value a consumer refused: the next try waits (policy)
                count = r.secret.metadata.get(ROLLBACKS, "0")
                custom[ROLLBACKS] = str(int(count) + 1 if is_ascii_digits(count) else 1)
                custom[ROLLED_BACK_AT] = iso(self.now)
        previous = next((e for e in r.op.entries() if e.step == "finish" and e.phase == "after"), None)
        if previous is not None and previous.data.get("previous"):
            custom[LAST_ROTATED] = previous.data["previous"]
        self.kv.set_custom(r.path, {**custom, CURRENT: str(current)})
        problems = consumers.restart_quietly(r.targets, self.now, self.rollout_timeout) if restart else []
        r.op.step("rollback", "after", {"from": r.start, "current": current, "problems": problems})
        r.op.close(f"rolled back to version {current}")
        return problems

    def _unsettled(self, r: Rotation, held: Sequence[Held]) -> None:
        """Current: the value the reachable consumers hold; pending: the one an unreachable
        consumer may hold. Nothing is written to the KV: the next run may keep either."""
        keep_new = current_while_unsettled(held) is Held.NEW
        current, pending = (r.to, r.start) if keep_new else (r.start, r.to)
        custom = {**self._secret(r.path).metadata, CURRENT: str(current), PENDING: str(pending)}
        self.kv.set_custom(r.path, custom)
        r.op.step("rollback", "unsettled", {"from": r.start, "to": r.to, "held": [str(h) for h in held]})

    # -- helpers ----------------------------------------------------------------------
    def _secret(self, path: str) -> ManagedSecret:
        secret = self.kv.secret(path)
        if secret is None:
            raise PermanentError(f"{path}: no such secret")
        return secret


def _failed(path: str, cause: Exception | str, problems: list[str]) -> str:
    undone = f"rollback incomplete: {'; '.join(problems)}" if problems else "rolled back"
    return f"{path}: rotation failed ({cause}); {undone}"
