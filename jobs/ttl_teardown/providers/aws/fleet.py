"""The AWS side of a run: each enabled type read in each region (a global type once), one
resource read on its own, a deletion routed to its type's deleter, what is still live.

One failing type or region is an `errors` entry; the others are still read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jobs.core.clients.aws import aws_client
from jobs.core.context import JobContext
from jobs.core.errors import TransientError
from jobs.core.model import Inventory, RunError
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, why
from jobs.ttl_teardown.providers.aws.types import TYPES
from jobs.ttl_teardown.settings import TtlTeardownSettings


def aws_for(ctx: JobContext[TtlTeardownSettings], region: str) -> Aws:
    from botocore.client import BaseClient

    account = ctx.client("aws:account", str, lambda: aws_client("sts", region).get_caller_identity()["Account"])
    return Aws(
        region,
        lambda service: ctx.client(f"aws:{service}:{region}", BaseClient, lambda: aws_client(service, region)),
        account,
    )


def read_aws(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], inventory: Inventory[Item]) -> None:
    """Each type in each region read on its own: one that fails is an error naming it, and the
    others are still read. One cause behind several failures (no credentials) is one error."""
    failed: dict[str, list[tuple[str, str]]] = {}  # cause → (region, type) it stopped
    for region in cfg.regions:
        kinds = [kind for kind in cfg.aws.types if region == cfg.regions[0] or TYPES[kind].scope == "region"]
        try:
            aws = aws_for(ctx, region)
        except Exception as exc:  # noqa: BLE001 - recorded below, for every type it stopped
            failed.setdefault(why(exc), []).extend((region, kind) for kind in kinds)
            continue
        for kind in kinds:
            try:
                inventory.items.extend(TYPES[kind].reader()(aws))
            except Exception as exc:  # noqa: BLE001 - one failing type never fails the others
                failed.setdefault(why(exc), []).append((region, kind))
        inventory.errors.extend(aws.errors)
    inventory.errors.extend(collapsed(failed))


def collapsed(failed: Mapping[str, Sequence[tuple[str, str]]]) -> list[RunError]:
    """One error per cause, naming every region and type it stopped."""
    errors = []
    for cause, places in failed.items():
        if len(places) == 1:
            errors.append(RunError(f"aws:{places[0][0]}:{places[0][1]}", cause))
            continue
        regions = list(dict.fromkeys(region for region, _ in places))
        named = "; ".join(f"{r}: {', '.join(k for region, k in places if region == r)}" for r in regions)
        source = f"aws:{regions[0]}" if len(regions) == 1 else "aws"
        errors.append(RunError(source, f"{cause} (stopped {len(places)} reads: {named})"))
    return errors


def read_one(ctx: JobContext[TtlTeardownSettings], kind: str, region: str, rid: str) -> Inventory[Item]:
    """The one `kind` resource `rid` names in `region`, through its type's read-one: found (one
    item), absent (none), or unreadable (an error naming the type, as a whole run would)."""
    found: Inventory[Item] = Inventory()
    try:
        aws = aws_for(ctx, region)
        item = TYPES[kind].reader_one()(aws, rid)
    except Exception as exc:  # noqa: BLE001 - whether it exists is unknown: said so, never "absent"
        found.errors.append(RunError(f"aws:{region}:{kind}", why(exc)))
        return found
    found.items.extend([item] if item is not None else [])
    found.errors.extend(aws.errors)
    return found


def delete(ctx: JobContext[TtlTeardownSettings], target: Target, run_id: str) -> None:
    TYPES[target.type].deleter()(aws_for(ctx, target.region or ""), target, run_id)


def tag(ctx: JobContext[TtlTeardownSettings], region: str, item: Item, value: str) -> None:
    TYPES[item.type].tagger()(aws_for(ctx, region), item, value)


def live_ids(ctx: JobContext[TtlTeardownSettings], kind: str, region: str) -> set[str]:
    """The ids of every `kind` resource still live (a terminated instance is not) in `region`:
    how a deletion that a killed run left open is settled. Raises when it cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        aws = aws_for(ctx, region)
        ids = {i.id for i in TYPES[kind].reader()(aws)}
    except (BotoCoreError, ClientError) as exc:
        raise TransientError(f"could not read {kind} in {region}: {type(exc).__name__}") from None
    if aws.errors:  # a record that could not be read may be the resource asked about
        first = aws.errors[0]
        raise TransientError(f"could not read every {kind} in {region}: {first.source}: {first.message}")
    return ids
