"""settle.py's decisions as properties: whatever each consumer holds, can be reached, or
refuses, the loop ends within two moves, and Vault calls current only a value every
consumer holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.secret_rotation.settle import Held, current_while_unsettled, next_direction, verdict, versions_room
from tests.reached import Reached

#: one consumer: what it holds, whether it can be reached, whether it takes a value it is given
consumer = st.tuples(st.sampled_from(list(Held)), st.booleans(), st.booleans())


SETTLE_BRANCHES = ("kept without a move", "rolled back to the old value", "left for the next run")


def check_settling(consumers: st.SearchStrategy[list[tuple[Held, bool, bool]]]) -> None:
    """The property over `consumers`; it fails if no case was kept as held, none rolled back,
    or none left for the next run (it would hold vacuously)."""
    reached = Reached(*SETTLE_BRANCHES)

    @given(consumers)
    def holds(consumers: list[tuple[Held, bool, bool]]) -> None:
        held = [h if reachable else Held.UNKNOWN for h, reachable, _ in consumers]
        tried: list[Held] = []
        while (direction := next_direction(held, tried)) is not None:
            assert len(tried) < 2 and direction not in tried
            tried.append(direction)
            held = [
                direction if reachable and takes else (now if reachable else Held.UNKNOWN)
                for (_, reachable, takes), now in zip(consumers, held, strict=True)
            ]
        kept = verdict(held)
        if kept is not None:
            assert all(h is kept for h in held)
            reached("rolled back to the old value" if tried else "kept without a move")
        else:
            assert Held.UNKNOWN in held or len(tried) == 2
            reached("left for the next run")
        if consumers and all(reachable and takes for _, reachable, takes in consumers):
            assert kept is not None
            assert kept is Held.OLD or not tried  # a move goes back to the old value; the new one is kept only as held

    holds()
    reached.check()


def test_settling_ends_within_two_moves_and_agrees_or_waits_for_the_next_run() -> None:
    check_settling(st.lists(consumer, max_size=6))


def test_the_settling_property_fails_when_every_consumer_is_reachable_and_takes_the_value() -> None:
    """Such a generator never leaves a rotation for the next run: the guard says so."""
    always = st.tuples(st.sampled_from(list(Held)), st.just(True), st.just(True))
    with pytest.raises(AssertionError, match="held vacuously"):
        check_settling(st.lists(always, max_size=6))


@given(st.lists(st.just(Held.NEW), min_size=1, max_size=5))
def test_consumers_that_all_hold_the_new_value_keep_it_without_a_move(held: list[Held]) -> None:
    assert next_direction(held, []) is None and verdict(held) is Held.NEW


@given(st.lists(st.sampled_from(list(Held)), max_size=6))
def test_while_unsettled_current_is_new_only_if_every_reachable_consumer_holds_it(held: list[Held]) -> None:
    reachable = [h for h in held if h is not Held.UNKNOWN]
    assert (current_while_unsettled(held) is Held.NEW) == (bool(reachable) and set(reachable) == {Held.NEW})


@given(
    max_versions=st.integers(min_value=0, max_value=50),
    latest=st.integers(min_value=1, max_value=200),
    back=st.integers(min_value=0, max_value=20),
)
def test_a_rotation_starts_only_if_kv_still_keeps_the_held_version_after_two_writes(
    max_versions: int, latest: int, back: int
) -> None:
    held = max(1, latest - back)
    needed = versions_room(max_versions, latest, held)
    oldest_kept_after = latest + 2 - max_versions + 1
    if needed is None:
        assert max_versions == 0 or held >= oldest_kept_after
    else:
        assert held < oldest_kept_after and versions_room(needed, latest, held) is None
