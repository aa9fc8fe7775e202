"""Finding the one resource a person names, for `explain`, `extend` and the snooze link.

An id (an ARN, `k8s:<ns>/<kind>/<name>`, or an id of a shape only one type has: `i-0abc…`,
`vol-…`, `sg-…`) is read on its own, through its type's single-resource reader: a few calls,
not the fleet. A name (a bucket, a Name tag, a role) may belong to any type, so it is looked
for in the whole inventory, and is known to be unique only when all of it could be read.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from jobs.core.errors import PermanentError
from jobs.core.model import Inventory
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.providers.aws.types import TYPES, region_of, type_of_arn, type_of_id
from jobs.ttl_teardown.relations import related_to

if TYPE_CHECKING:
    from jobs.ttl_teardown.job import Job


class ExtensionRefused(PermanentError):
    """The request breaks a rule; the message says which. Nothing was changed."""


class Unreadable(ExtensionRefused):
    """A source could not be read, so whether the resource exists is unknown (not "absent")."""


class NotFound(ExtensionRefused):
    """No resource of the inventory (all of it read) has that id, name or Name tag."""


class LinkUsed(ExtensionRefused):
    """The snooze link already extended its resource: a link works once."""


def spelling(text: str) -> str:
    """A name as a person reads it: accents composed however they were typed (a console
    stores NFC, a macOS terminal may send NFD), no surrounding spaces."""
    return unicodedata.normalize("NFC", text).strip()


def _names(item: Item) -> set[str]:
    """What an operator may call a resource: its id, its provider name (i-0abc, a bucket),
    and its `Name` tag in any spelling (EC2 consoles show that one)."""
    tags = item.resource.tags
    tagged = {spelling(v) for k, v in tags.items() if k.strip().lower() == "name" and spelling(v)}
    return {item.id, spelling(item.name), *tagged}


def find(job: Job, resource: str) -> tuple[Item, list[str]]:
    """The one resource `resource` names (with its history), and what goes with it (an
    attached volume, its security groups)."""
    wanted = spelling(resource)
    inventory = read_one(job, wanted)
    if inventory is not None:
        if inventory.errors:
            errors = "; ".join(f"{e.source}: {e.message}" for e in inventory.errors)
            raise Unreadable(f"could not read the inventory ({errors}): cannot tell whether {resource!r} exists")
        if not inventory.items:
            raise NotFound(f"{resource!r} is not in the inventory (no resource has that id, name or Name tag)")
        [item] = job.prepared(inventory.items, priced=False)
        return item, related_to(item, inventory.items)
    return _by_name(job, resource, wanted)


def read_one(job: Job, wanted: str) -> Inventory[Item] | None:
    """`wanted` read through its type's single-resource reader, or None when it is no id."""
    from jobs.ttl_teardown.providers.sources import read_one_kubernetes

    cfg = job.cfg
    if wanted.startswith("k8s:"):
        parts = wanted.removeprefix("k8s:").split("/")
        kind = parts[1] if len(parts) == 3 else parts[0]  # k8s:<ns>/<kind>/<name>, k8s:namespace/<name>
        enabled = cfg.kubernetes.enabled and kind in cfg.kubernetes.kinds
        return read_one_kubernetes(cfg, job.ctx, wanted) if enabled else Inventory()
    aws_type = type_of_arn(wanted) or type_of_id(wanted)
    if aws_type is None:
        return None
    return _read_aws(job, aws_type, wanted)


def _read_aws(job: Job, kind: str, wanted: str) -> Inventory[Item]:
    from jobs.ttl_teardown.providers.aws import fleet

    cfg = job.cfg
    if not cfg.aws.enabled or kind not in cfg.aws.types:
        return Inventory()  # a type this configuration does not read is not in its inventory
    if TYPES[kind].scope == "global":
        regions = [cfg.regions[0]]
    else:
        regions = [r for r in cfg.regions if r == region_of(wanted)] if wanted.startswith("arn:") else cfg.regions
    unread: Inventory[Item] = Inventory()
    for region in regions:  # an id without a region may be in any of them
        found = fleet.read_one(job.ctx, kind, region, wanted)
        if found.items:
            return found
        unread.errors.extend(found.errors)
    return unread


def _by_name(job: Job, resource: str, wanted: str) -> tuple[Item, list[str]]:
    """A name known to be unique only when the whole inventory was read: an unread resource may
    carry it too, or be the one meant."""
    inventory = job.collect()
    exact = [item for item in inventory.items if item.id == wanted]
    if len(exact) == 1:
        return exact[0], related_to(exact[0], inventory.items)
    found = [item for item in inventory.items if wanted in _names(item)]
    ids = ", ".join(sorted(item.id for item in found))
    if inventory.errors:
        errors = "; ".join(f"{e.source}: {e.message}" for e in inventory.errors)
        unknown = f"whether {resource!r} names only {ids} (give its id)" if found else f"whether {resource!r} exists"
        raise Unreadable(f"could not read the inventory ({errors}): cannot tell {unknown}")
    if len(found) == 1:
        return found[0], related_to(found[0], inventory.items)
    if found:
        raise ExtensionRefused(f"{resource!r} names {len(found)} resources ({ids}): give the one you mean by its id")
    raise NotFound(f"{resource!r} is not in the inventory (no resource has that id, name or Name tag)")
