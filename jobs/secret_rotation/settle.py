"""Which value to keep when a rotation cannot simply go forward. Pure.

A consumer that failed its test, or could not be reached, may hold the old value or the new
one: PostgreSQL may have committed the `ALTER ROLE` whose answer was lost. Nothing is
decided on what the protocol meant to do; every consumer is asked which value it holds
(`Target.holds`), and Vault's current version becomes the one they all hold. While one
cannot be reached, the reachable ones are put back on the old value, which stays current,
the new one stays `pending_version`, and the journal stays open: the next run asks again.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class Held(enum.StrEnum):
    OLD = "old"  # the value of the version the rotation started from
    NEW = "new"  # the value the rotation wrote
    OTHER = "other"  # neither: someone else changed it, or the target is broken
    UNKNOWN = "unknown"  # could not be reached


#: the value a consumer is moved to first when a rotation fails: the one that worked
FIRST = (Held.OLD, Held.NEW)


def verdict(held: Sequence[Held]) -> Held | None:
    """The value every consumer holds, when they agree (no consumer: nothing disagrees)."""
    values = set(held)
    if not values:
        return Held.OLD
    if len(values) == 1 and values <= {Held.OLD, Held.NEW}:
        return values.pop()
    return None


def next_direction(held: Sequence[Held], tried: Sequence[Held]) -> Held | None:
    """The value to move every consumer to next, or None: settled, or stuck until the next
    run (a consumer out of reach after the reachable ones were put back on the old value,
    or every direction tried)."""
    if verdict(held) is not None:
        return None
    if tried and Held.UNKNOWN in held:
        return None
    return next((d for d in FIRST if d not in tried), None)


def current_while_unsettled(held: Sequence[Held]) -> Held:
    """The version to call current while some consumer is out of reach: the one every
    reachable consumer holds if that is the new one, else the old one (the rotation's start)."""
    reachable = {h for h in held if h is not Held.UNKNOWN}
    return Held.NEW if reachable == {Held.NEW} else Held.OLD


def versions_room(max_versions: int, latest: int, held_version: int, writes: int = 2) -> int | None:
    """None when a rotation can write `writes` versions (the new one, and a copy of the old
    one if it rolls back) and KV still keeps `held_version`, the one consumers hold; else
    the `max_versions` that would keep it. `max_versions` 0 means unlimited."""
    needed = latest + writes - held_version + 1
    return None if max_versions <= 0 or max_versions >= needed else needed
