"""settle.py's decisions as properties: whatever each consumer holds, can be reached, or
refuses, the loop ends within two moves, and Vault calls current only a value every
consumer holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jobs.secret_rotation.settle import Held, current_while_unsettled, next_direction, verdict, versions_room

#: one consumer: what it holds, whether it can be reached, whether it takes a value it is given
consumer = st.tuples(st.sampled_from(list(Held)), st.booleans(), st.booleans())


@given(st.lists(consumer, max_size=6))
def test_settling_ends_within_two_moves_and_agrees_or_waits_for_the_next_run(
    consumers: list[tuple[Held, bool, bool]],
) -> None:
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
    else:
        assert Held.UNKNOWN in held or len(tried) == 2
    if consumers and all(reachable and takes for _, reachable, takes in consumers):
        assert kept is not None
        assert kept is Held.OLD or not tried  # a move goes back to the old value; the new one is kept only as held


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
