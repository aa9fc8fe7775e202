"""Which resource holds on to which, and what that means for a deletion: pure.

A resource something else needs (a volume attached to an instance, a security group in use,
an instance in an Auto Scaling group, a target group behind a load balancer, a node group
and its cluster) is deleted only when everything holding it goes in the same run. Otherwise
it is kept, with the holder named, instead of a delete that fails every day (`VolumeInUse`).
A holder this run did not read (another shard, a type not configured, an ENI) counts as staying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Decision, Verdict


def holders(items: Sequence[Item]) -> dict[str, set[str]]:
    """Resource id → the ids that hold it, from both sides' records."""
    held: dict[str, set[str]] = {}
    for item in items:
        if item.held_by:
            held.setdefault(item.id, set()).update(item.held_by)
        if item.holds:
            for other in item.holds:
                held.setdefault(other, set()).add(item.id)
    return held


def settle(items: Sequence[Item], decisions: list[Decision]) -> dict[str, set[str]]:
    """Turn each deletion of something a staying resource holds into a keep naming the holder
    (in place; until nothing changes, since a kept holder keeps what it holds in turn).
    Returns the links both ways, for telling owners what goes together."""
    held = holders(items)
    for i, item in enumerate(items):  # a member terminated alone is replaced by its group: it goes with it
        group = item.details.get("asg") if item.details else None
        if group and decisions[i].verdict is Verdict.DELETE:
            decisions[i] = _kept(
                decisions[i], f"part of Auto Scaling group {group}: it goes with the group, never alone"
            )
    if not held:
        return {}
    position = {item.id: i for i, item in enumerate(items)}
    going = {item.id for item, d in zip(items, decisions, strict=True) if d.verdict is Verdict.DELETE}
    waiting = sorted(rid for rid in held if rid in going)
    while waiting:
        still = []
        for rid in waiting:
            staying = sorted(h for h in held[rid] if h not in going)
            if not staying:
                still.append(rid)
                continue
            going.discard(rid)
            i = position[rid]
            decisions[i] = _kept(decisions[i], "in use by " + _holder(staying[0], items, decisions, position))
        if len(still) == len(waiting):
            break
        waiting = still
    return _links(held)


def _kept(decision: Decision, reason: str) -> Decision:
    return decision._replace(verdict=Verdict.KEEP, reason=reason, warning=None)


def _holder(rid: str, items: Sequence[Item], decisions: Sequence[Decision], position: Mapping[str, int]) -> str:
    i = position.get(rid)
    if i is None:
        return f"{short(rid)}, which this run does not delete"
    return f"{items[i].name} ({items[i].type}), which stays: {decisions[i].reason}"


def _links(held: Mapping[str, set[str]]) -> dict[str, set[str]]:
    links: dict[str, set[str]] = {}
    for rid, by in held.items():
        links.setdefault(rid, set()).update(by)
        for other in by:
            links.setdefault(other, set()).add(rid)
    return links


def related(rid: str, links: Mapping[str, set[str]], names: Mapping[str, str]) -> list[str]:
    """What goes with `rid`, by name where this run read it (sorted: a stable message)."""
    return sorted(names.get(other) or short(other) for other in links.get(rid, ()))


def related_to(item: Item, items: Sequence[Item]) -> list[str]:
    """What goes with one resource (for `explain` and `extend`), from everything read."""
    links = _links(holders(items))
    return related(item.id, links, {i.id: i.name for i in items}) if item.id in links else []


def short(rid: str) -> str:
    """The last part of an ARN (`vol-0abc`, `eni-1`): what people call a resource."""
    return rid.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
