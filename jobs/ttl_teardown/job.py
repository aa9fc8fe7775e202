"""ttl-teardown: read every provider, decide purely, warn owners, delete what was warned about.

Nothing is carried on `self` between collect, plan and apply: the items carry their history
and price, and each action carries its instant and its typed parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from jobs.core.delivery import send_to_person
from jobs.core.errors import PermanentError, TransientError
from jobs.core.job import BaseJob, typed_action
from jobs.core.model import Action, Intent, Inventory, Outcome, OutcomeKind, Plan, Settled
from jobs.core.state.notices import record_warning, warnings_sent
from jobs.ttl_teardown import plan as planning
from jobs.ttl_teardown.actions import Deletion, OwnerMail, TtlAction
from jobs.ttl_teardown.catalog import hourly
from jobs.ttl_teardown.cost import Pricing, load_pricing
from jobs.ttl_teardown.messages import owner_message
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.providers.aws.types import region_of
from jobs.ttl_teardown.rules import History, Policy, Whitelist
from jobs.ttl_teardown.settings import TtlTeardownSettings
from jobs.ttl_teardown.snooze import signing_key
from jobs.ttl_teardown.state import extension_days

log = logging.getLogger("secops.ttl_teardown")


class Job(BaseJob[Item, TtlTeardownSettings]):
    id = "ttl-teardown"

    # -- read ---------------------------------------------------------------------------------
    def collect(self) -> Inventory[Item]:
        from jobs.ttl_teardown.providers.aws.fleet import read_aws
        from jobs.ttl_teardown.providers.sources import read_kubernetes

        inventory: Inventory[Item] = Inventory()
        if self.cfg.aws.enabled:
            read_aws(self.cfg, self.ctx, inventory)
        if self.cfg.kubernetes.enabled:
            read_kubernetes(self.cfg, self.ctx, inventory)
        inventory.items = self.prepared([i for i in inventory.items if self.ctx.owns(i.id)])
        return inventory

    def prepared(self, items: Sequence[Item], priced: bool = True) -> list[Item]:
        """The items with what the plan reads besides them: their history and (unless `priced`
        is False: `explain` shows no price) their price."""
        ids = [i.id for i in items]
        sent = warnings_sent(self.ctx.state, self.id, ids)
        extended = extension_days(self.ctx.state, ids)
        pricing = None
        if priced:
            pricing = load_pricing(self.cfg.cost.pricing_file)
            if self.cfg.cost.refresh and items:
                pricing = self._refreshed_prices(pricing, items)
        return with_history(items, sent, extended, pricing)

    def _refreshed_prices(self, pricing: Pricing, items: Sequence[Item]) -> Pricing:
        from datetime import UTC

        from botocore.client import BaseClient

        from jobs.core.clients.aws import aws_client
        from jobs.ttl_teardown.price_list import refresh

        home = "us-east-1"  # the Price List API's home region
        client = self.ctx.client("aws:pricing", BaseClient, lambda: aws_client("pricing", home))
        ec2 = {i.sizing.instance_type for i in items if i.type == "ec2:instance" and i.sizing.instance_type}
        rds = {i.sizing.instance_type for i in items if i.type == "rds:instance" and i.sizing.instance_type}
        now = datetime.now(UTC)  # cache bookkeeping, not a decision input
        return refresh(pricing, client, self.cfg.regions[0], ec2, rds, self.ctx.state, now)

    # -- decide -------------------------------------------------------------------------------
    def policy(self) -> Policy:
        wl = self.cfg.whitelist
        whitelist = Whitelist(
            tuple(wl.aws_resources),
            tuple((t.key, t.value) for t in wl.tags),
            (*wl.kubernetes.namespaces, *self.cfg.kubernetes.protected_namespaces),
        )
        return Policy(
            max_ttl_days=self.cfg.max_ttl_days,
            warn_before=tuple(timedelta(hours=h) for h in self.cfg.warn_before_hours),
            notice=timedelta(hours=self.cfg.notice_hours),
            whitelist=whitelist,
        )

    def plan(self, items: Sequence[Item], now: datetime) -> Plan:
        snooze = self.cfg.snooze
        context = planning.Context(
            policy=self.policy(),
            horizon_days=self.cfg.cost.horizon_days,
            quotas=self.cfg.quotas,
            now=now,
            snooze_key=signing_key(snooze),  # the route's predicate too
            snooze_url=snooze.base_url,
            snooze_hours=snooze.link_ttl_hours,
            extension_days=tuple(self.cfg.extension.allowed_days),
        )
        plan = planning.build(items, context)
        if self.ctx.options.get("warn_only"):
            plan.actions = [a for a in plan.actions if not a.destructive]
        return plan

    # -- act ----------------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        HANDLERS[action.kind](self, action)

    def _delete(self, action: Action) -> None:
        from jobs.ttl_teardown.providers.sources import delete

        delete(self.cfg, self.ctx, typed_action(action, Deletion).target)

    def _mail(self, action: Action) -> None:
        mail = typed_action(action, OwnerMail)
        send_to_person(self.ctx.settings, owner_message(mail, self.cfg), self.ctx.sleep)
        for entry in mail.entries:  # only once delivered: an undelivered warning counts for nothing
            record_warning(self.ctx.state, self.id, entry["id"], entry["key"], mail.at, {"owner": mail.owner})

    def reconcile(self, intents: Sequence[Intent]) -> list[Settled]:
        """A deletion a killed run left open is done when its resource is no longer live, and
        did not happen when it still is (the plan decides again). A type that cannot be read,
        and an owner mail (was it sent?), stay `unknown`."""
        from jobs.ttl_teardown.providers.sources import live_ids

        deletions = [i for i in intents if i.kind == "delete" and i.details.get("type")]
        settled = super().reconcile([i for i in intents if i not in deletions])
        seen: dict[tuple[str, str | None], set[str] | str] = {}
        for intent in deletions:
            key = (str(intent.details["type"]), region_of(intent.resource))
            if key not in seen:
                try:
                    seen[key] = live_ids(self.cfg, self.ctx, *key)
                except (PermanentError, TransientError) as exc:
                    seen[key] = str(exc)
            live = seen[key]
            if isinstance(live, str):
                settled.append(Settled(intent.action_id, OutcomeKind.UNKNOWN, f"interrupted; {live}"))
            elif intent.resource in live:
                settled.append(Settled(intent.action_id, OutcomeKind.FAILED, "interrupted: the resource still exists"))
            else:
                settled.append(Settled(intent.action_id, OutcomeKind.DONE, "interrupted; the resource is gone"))
        return settled

    def after_apply(self, run_id: str, outcomes: Sequence[Outcome]) -> None:
        """One JSON-lines object per run in S3, when `audit.s3_bucket` is set (the state DB has it anyway)."""
        bucket = self.cfg.audit.s3_bucket
        at = next((o.action.at for o in outcomes if isinstance(o.action, TtlAction)), None)
        if not bucket or at is None:
            return
        import json

        from jobs.ttl_teardown.providers.aws.base import aws_call
        from jobs.ttl_teardown.providers.aws.fleet import aws_for

        lines = [json.dumps({"run_id": run_id, "at": at.isoformat(), **o.to_json()}, sort_keys=True) for o in outcomes]
        key = f"{self.cfg.audit.s3_prefix}{at:%Y/%m/%d}/{run_id}.jsonl"
        s3 = aws_for(self.ctx, self.cfg.regions[0]).client("s3")
        aws_call(
            f"write audit s3://{bucket}/{key}",
            lambda: s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode()),
        )

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.ttl_teardown.metrics import record

        record(registry, plan, outcomes, self.ctx.state, self.id)


#: action kind → what applies it (ARCHITECTURE rule 4: a table, not an if-chain)
HANDLERS: Final[dict[str, Callable[[Job, Action], None]]] = {
    "delete": Job._delete,
    "warn": Job._mail,
    "notify_violations": Job._mail,
}


def with_history(
    items: Sequence[Item],
    sent: Mapping[str, Mapping[str, datetime]],
    extended: Mapping[str, float],
    pricing: Pricing | None,
) -> list[Item]:
    """Pure: each item with its history (warnings sent, days granted) and its hourly price."""
    return [
        replace(
            item,
            history=History(sent.get(item.id, {}), extended.get(item.id, 0.0))
            if item.id in sent or item.id in extended
            else item.history,
            hourly_usd=hourly(item.type, item.sizing, pricing) if pricing else None,
        )
        for item in items
    ]
