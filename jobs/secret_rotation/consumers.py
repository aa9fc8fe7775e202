"""What a rotation does to all of a secret's consumers at once: ask which value each holds,
move them to one value, restart them. The decisions are settle.py's; these only act."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from jobs.core.errors import PermanentError, TransientError
from jobs.secret_rotation.settle import Held
from jobs.secret_rotation.targets import Data, Target

Retry = Callable[[Callable[[], Any]], Any]


def ask(targets: Sequence[Target], old: Data, new: Data, retry: Retry) -> tuple[list[Held], list[str]]:
    """What each consumer holds now, and why the ones that could not say did not."""
    held, problems = [], []
    for target in targets:
        try:
            if retry(partial(target.holds, new)):
                held.append(Held.NEW)
            else:
                held.append(Held.OLD if retry(partial(target.holds, old)) else Held.OTHER)
        except (PermanentError, TransientError) as exc:
            held.append(Held.UNKNOWN if isinstance(exc, TransientError) else Held.OTHER)
            problems.append(str(exc))
    return held, problems


def move(targets: Sequence[Target], held: Sequence[Held], to: Held, old: Data, new: Data, retry: Retry) -> list[str]:
    """Every consumer not holding `to`'s value is given it; returns what could not be."""
    problems = []
    for target, now_held in zip(targets, held, strict=True):
        if now_held is to:
            continue
        try:
            retry(partial(target.set, new) if to is Held.NEW else partial(target.restore, old))
        except (PermanentError, TransientError) as exc:
            problems.append(str(exc))
    return problems


def restart(targets: Sequence[Target], at: datetime, timeout: float) -> dict[str, Any]:
    """Restart every consumer, then wait for all of them (one deadline for the lot)."""
    for target in targets:
        target.restart(at)
    deadline = time.monotonic() + timeout
    for target in targets:
        target.wait_ready(deadline)
    return {}


def restart_quietly(targets: Sequence[Target], at: datetime, timeout: float) -> list[str]:
    """`restart` while putting things back: a failure is reported, the undoing goes on."""
    try:
        restart(targets, at, timeout)
    except (PermanentError, TransientError) as exc:
        return [str(exc)]
    return []
