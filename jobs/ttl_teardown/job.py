"""ttl-teardown: read every provider, decide purely, warn owners, delete what was warned about."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from jobs.core.context import JobContext
from jobs.core.delivery import send_to_person
from jobs.core.errors import PermanentError, TransientError
from jobs.core.job import BaseJob
from jobs.core.model import Action, Intent, Inventory, Outcome, OutcomeKind, Plan, Settled
from jobs.ttl_teardown import plan as planning
from jobs.ttl_teardown.cost import Pricing, load_pricing
from jobs.ttl_teardown.messages import owner_message
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import History, Policy, Whitelist
from jobs.ttl_teardown.settings import TtlTeardownSettings

log = logging.getLogger("secops.ttl_teardown")


class Job(BaseJob[Item, TtlTeardownSettings]):
    id = "ttl-teardown"

    def __init__(self, ctx: JobContext[TtlTeardownSettings]) -> None:
        super().__init__(ctx)
        self._histories: dict[str, History] = {}
        self._pricing = Pricing()
        self._now: datetime | None = None

    # -- read ---------------------------------------------------------------------------------
    def collect(self) -> Inventory[Item]:
        from jobs.ttl_teardown.providers.sources import read_aws, read_kubernetes

        inventory: Inventory[Item] = Inventory()
        if self.cfg.aws.enabled:
            read_aws(self.cfg, self.ctx, inventory)
        if self.cfg.kubernetes.enabled:
            read_kubernetes(self.cfg, self.ctx, inventory)
        inventory.items = [i for i in inventory.items if self.ctx.owns(i.id)]
        ids = [i.id for i in inventory.items]
        sent = self.ctx.state.warnings_sent(self.id, ids)
        extended = self.ctx.state.extension_days(ids)
        self._histories = {i: History(sent.get(i, {}), extended.get(i, 0.0)) for i in ids}
        self._pricing = load_pricing(self.cfg.cost.pricing_file)
        if self.cfg.cost.refresh and inventory.items:
            self._pricing = self._refreshed_prices(inventory.items)
        return inventory

    def _refreshed_prices(self, items: Sequence[Item]) -> Pricing:
        from datetime import UTC

        from botocore.client import BaseClient

        from jobs.core.clients.aws import aws_client
        from jobs.ttl_teardown.price_list import refresh

        client = self.ctx.client(
            "aws:pricing", BaseClient, lambda: aws_client("pricing", "us-east-1")
        )  # the API's home region
        ec2 = {i.sizing.instance_type for i in items if i.type == "ec2:instance" and i.sizing.instance_type}
        rds = {i.sizing.instance_type for i in items if i.type == "rds:instance" and i.sizing.instance_type}
        now = datetime.now(UTC)  # cache bookkeeping, not a decision input
        return refresh(self._pricing, client, self.cfg.regions[0], ec2, rds, self.ctx.state, now)

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
        self._now = now
        snooze = self.cfg.snooze
        context = planning.Context(
            policy=self.policy(),
            pricing=self._pricing,
            horizon_days=self.cfg.cost.horizon_days,
            quotas=self.cfg.quotas,
            now=now,
            snooze_key=snooze.hmac_key.get_secret_value().encode() if snooze.hmac_key else None,
            snooze_url=snooze.base_url,
            snooze_hours=snooze.link_ttl_hours,
            extension_days=tuple(self.cfg.extension.allowed_days),
        )
        plan = planning.build(items, self._histories, context)
        if self.ctx.options.get("warn_only"):
            plan.actions = [a for a in plan.actions if not a.destructive]
        return plan

    # -- act ----------------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        if action.kind == "delete":
            from jobs.ttl_teardown.providers.sources import delete

            delete(self.cfg, self.ctx, action.params)
            return
        assert self._now is not None
        send_to_person(self.ctx.settings, owner_message(action, self.cfg, self._now), lambda _: None)
        owner = action.params["owner"]
        for entry in action.params["entries"]:  # only once delivered: an undelivered warning counts for nothing
            self.ctx.state.record_warning(self.id, entry["id"], entry["key"], self._now, {"owner": owner})

    def reconcile(self, intents: Sequence[Intent]) -> list[Settled]:
        """A deletion a killed run left open is done when its resource is no longer live, and
        did not happen when it still is (the plan decides again). A type that cannot be read,
        and an owner mail (was it sent?), stay `unknown`."""
        from jobs.ttl_teardown.providers.sources import live_ids

        deletions = [i for i in intents if i.kind == "delete" and i.details.get("type")]
        settled = super().reconcile([i for i in intents if i not in deletions])
        seen: dict[tuple[str, str | None], set[str] | str] = {}
        for intent in deletions:
            key = (str(intent.details["type"]), _region(intent.resource))
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
        if not bucket or not outcomes:
            return
        import json

        from jobs.ttl_teardown.providers.aws_delete import aws_call
        from jobs.ttl_teardown.providers.sources import aws_for

        assert self._now is not None
        lines = [
            json.dumps({"run_id": run_id, "at": self._now.isoformat(), **o.to_json()}, sort_keys=True) for o in outcomes
        ]
        key = f"{self.cfg.audit.s3_prefix}{self._now:%Y/%m/%d}/{run_id}.jsonl"
        s3 = aws_for(self.ctx, self.cfg.regions[0]).client("s3")
        aws_call(
            f"write audit s3://{bucket}/{key}",
            lambda: s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode()),
        )

    def history(self, resource: str) -> History:
        """What earlier runs sent and granted for `resource` (read by collect)."""
        return self._histories.get(resource, History())

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.ttl_teardown.metrics import record

        record(registry, plan, outcomes, self.ctx.state, self.id)


def _region(resource: str) -> str | None:
    """The region field of an ARN (empty for S3 and IAM: the first region reads them)."""
    parts = resource.split(":")
    return parts[3] or None if resource.startswith("arn:") and len(parts) > 3 else None
