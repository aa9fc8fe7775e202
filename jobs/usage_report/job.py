"""usage-report: the control plane's tenants, their usage from Prometheus (and analytics), one
report each, delivered by mail, to S3 and to a folder, once per tenant, period and channel.

collect reads the SOURCES in order into one `TenantUsage` per tenant (inventory.py decides which
tenants and how the readings join); a required source that fails leaves no items, so nothing is
sent from half the data, and the error says how to re-run the period. plan (plan.py) is pure:
figures, findings, and one action per tenant and channel not yet delivered, with the rendered
bundle. apply makes one delivery per call and records it, so a re-run of the period sends
nothing twice (`--force` does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobs.core.errors import ConfigError, PermanentError
from jobs.core.isolation import isolated
from jobs.core.job import BaseJob
from jobs.core.model import Action, Finding, Intent, Inventory, Outcome, OutcomeKind, Plan, RunError, Settled, iso
from jobs.core.registry import load_attr
from jobs.usage_report import inventory as join
from jobs.usage_report.model import Bundle, Period, Tenant, TenantUsage
from jobs.usage_report.period import KINDS, from_label, period_for
from jobs.usage_report.settings import UsageReportSettings
from jobs.usage_report.sources import SOURCES, Reading

if TYPE_CHECKING:
    from jobs.usage_report.delivery import Deliverer

log = logging.getLogger("secops.usage_report")

REQUIRED = ("prometheus", "control_plane")


def failed(reading: Reading) -> bool:
    """A source that read nothing and said why: it failed as a whole (errors beside what it
    did read, a control-plane row skipped, are the run's errors and the rest goes on)."""
    return bool(reading.errors) and not reading.tenants and not reading.fields


class Job(BaseJob[TenantUsage, UsageReportSettings]):
    id = "usage-report"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queries: dict[str, int] = {}  # source → requests made (the bench: flat in tenants)
        self.period: Period | None = None
        self.elsewhere: list[str] = []  # --tenant ids another shard owns
        self._deliverer: Deliverer | None = None
        #: (resource, channel) → the recipients a server refused while taking the others
        self.refused: dict[tuple[str, str], tuple[str, ...]] = {}

    # -- collect ---------------------------------------------------------------------------
    def collect(self) -> Inventory[TenantUsage]:
        self.check_settings()
        self.period = period = period_for(self.kind, self.ctx.now)
        inventory: Inventory[TenantUsage] = Inventory()
        log.info(
            "period", extra={"fields": {"period": period.label, "start": iso(period.start), "end": iso(period.end)}}
        )
        plane = self.read("control_plane", period, [], inventory)
        if plane is None:
            return inventory
        named = self.ctx.options.get("tenant") or ()
        tenants = join.selected(plane.tenants, self.cfg.include_inactive, named, self.ctx.owns, self.elsewhere)
        if self.elsewhere:  # `--tenant X --shard i/n` where another shard owns X: said, not silent
            log.info("tenants_in_other_shards", extra={"fields": {"tenants": self.elsewhere}})
        usages = join.start(tenants, period)
        self.lay(usages, plane, "control_plane", inventory)
        prometheus = self.read("prometheus", period, tenants, inventory)
        if prometheus is None:
            return inventory
        self.lay(usages, prometheus, "prometheus", inventory)
        self.breakdowns(usages, period, inventory)
        from jobs.usage_report import state

        join.delivered(usages, state.delivered(self.ctx.state, period, list(usages)))
        inventory.items = list(usages.values())
        return inventory

    @property
    def kind(self) -> str:
        kind = str(self.ctx.options.get("period") or "daily")
        if kind not in KINDS:
            raise ConfigError(f"--period {kind!r}: expected one of {', '.join(KINDS)}")
        return kind

    def check_settings(self) -> None:
        """Both required sources configured, named when not: a report from half the data is worse than none."""
        from jobs.usage_report import fonts
        from jobs.usage_report.delivery import problems

        missing = [f"usage_report.{key} is required" for key in REQUIRED if getattr(self.cfg, key) is None]
        missing += fonts.problems(self.cfg.font_dir)
        if missing or (unusable := problems(self.ctx.settings, self.cfg)):
            raise ConfigError(missing or unusable)

    def read(self, name: str, period: Period, tenants: Sequence[Tenant], inventory: Inventory[Any]) -> Reading | None:
        """One source, isolated: a crash is its RunError. A required source that failed returns
        None (the run reports nothing: not a report from half the data); an optional one its
        reading, errors and all (the reports that needed it say what is missing)."""
        spec = SOURCES[name]
        started = time.monotonic()

        def read() -> Reading:
            found: Reading = load_attr(spec.target)(self.cfg, self.ctx, period, tenants)
            return found

        errors: list[RunError] = []
        found: Reading | None = isolated(read, name, errors, log, "source_failed", {"source": name})
        reading = found if found is not None else Reading(errors=errors)
        self.queries[name] = self.queries.get(name, 0) + reading.queries
        seconds = round(time.monotonic() - started, 3)
        fields = {"source": name, "queries": reading.queries, "errors": len(reading.errors), "seconds": seconds}
        log.info("source_read", extra={"fields": fields})
        if spec.required and failed(reading):
            inventory.errors.extend(self.rerun(error, period) for error in reading.errors)
            return None
        inventory.errors.extend(reading.errors)
        return reading

    def rerun(self, error: RunError, period: Period) -> RunError:
        """The source's error, with what was not done and how to do it once the source is back."""
        command = f"python -m jobs run usage-report --period {period.kind} --now {iso(self.ctx.now)}"
        return RunError(
            error.source, f"{error.message}; no report was sent for {period.label}: re-run it with `{command}`"
        )

    def lay(self, usages: dict[str, TenantUsage], reading: Reading, name: str, inventory: Inventory[Any]) -> None:
        inventory.errors.extend(RunError(name, problem) for problem in join.merge(usages, reading, name))

    def breakdowns(self, usages: dict[str, TenantUsage], period: Period, inventory: Inventory[Any]) -> None:
        """Top APIs and applications from analytics, for the tenants Prometheus had none for
        (and only for them: a tenant with labelled series keeps Prometheus' figures)."""
        needing = join.needing_breakdowns(usages)
        if not needing or not SOURCES["gateway_analytics"].enabled(self.cfg):
            return
        reading = self.read("gateway_analytics", period, needing, inventory)
        if reading is None:  # never for an optional source: its reading comes back, errors and all
            return
        subset = {t.id: usages[t.id] for t in needing}
        self.lay(subset, reading, "gateway_analytics", inventory)
        if reading.errors and not reading.fields and not reading.problems:  # it crashed: say so on each report
            join.problem_for_all(subset, needing, f"gateway analytics: not read ({reading.errors[0].message})")
        usages.update(subset)

    # -- plan ------------------------------------------------------------------------------
    def plan(self, items: Sequence[TenantUsage], now: datetime) -> Plan:
        from jobs.usage_report.plan import Options, build_plan

        options = Options(
            force=bool(self.ctx.options.get("force")),
            queries=self.queries,
            period=self.period,
            elsewhere=tuple(self.elsewhere),
        )
        return build_plan(items, self.cfg, options)

    # -- apply -----------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        """One delivery, then its record: a delivery is recorded only once the channel took it.
        A kill between the two leaves the audit's intent open (reconcile settles it)."""
        from jobs.usage_report import state

        channel = str(action.details.get("channel", ""))
        bundle = action.params.get("bundle")
        if not isinstance(bundle, Bundle) or not channel:
            raise PermanentError(f"{action.kind} for {action.resource}: no bundle or channel (a plan bug)")
        delivered = self.deliverer().deliver(channel, bundle)
        if delivered.refused:
            self.refused[(action.resource, channel)] = tuple(delivered.refused)
        report = bundle.report
        state.record_delivery(
            self.ctx.state, report.period, report.tenant.id, channel, self.ctx.run_id, str(delivered), self.ctx.now
        )

    def deliverer(self) -> Deliverer:
        """The run's channels, each built once: the mail channel's SMTP session serves every
        tenant and is closed in after_apply. A client a test hands in (Runtime.clients
        `usage_report.<channel>`) is passed to its channel."""
        if self._deliverer is None:
            from jobs.usage_report.delivery import CHANNELS, Deliverer

            prefix = "usage_report."
            clients = {n: c for n in CHANNELS if (c := self.ctx.clients.get(prefix + n)) is not None}
            self._deliverer = Deliverer(self.ctx.settings, self.cfg, clients)
        return self._deliverer

    def after_apply(self, run_id: str, outcomes: Sequence[Outcome]) -> None:
        from jobs.usage_report.metrics import count_failures

        deliverer, self._deliverer = self._deliverer, None
        try:
            if deliverer is not None:
                deliverer.close()
        finally:
            count_failures(self.ctx.state, outcomes)

    def outcome_findings(self, outcomes: Sequence[Outcome]) -> list[Finding]:
        from jobs.usage_report.plan import not_delivered, refused

        return not_delivered(outcomes) + refused(outcomes, self.refused)

    def reconcile(self, intents: Sequence[Intent]) -> list[Settled]:
        """A delivery begun by a killed run: done if the state DB recorded it, else unknown (the
        mail may have left before the kill; this run's plan sends it again: at least once)."""
        from jobs.usage_report import state

        settled = []
        for intent in intents:
            tenant, channel = str(intent.details.get("tenant")), str(intent.details.get("channel"))
            kind, label = str(intent.details.get("period_kind")), str(intent.details.get("period"))
            try:
                period = from_label(kind, label)
            except ValueError:
                period = None
            if period and channel in state.delivered(self.ctx.state, period, [tenant]).get(tenant, ()):
                settled.append(Settled(intent.action_id, OutcomeKind.DONE, "the state DB recorded the delivery"))
            else:
                why = f"interrupted: run {intent.run_id} ended after starting the {channel} delivery of {label} and "
                why += "before recording it; it may have gone, and is sent again unless recorded"
                settled.append(Settled(intent.action_id, OutcomeKind.UNKNOWN, why))
        return settled

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.usage_report.metrics import record

        record(registry, plan, outcomes, self.ctx.state)
