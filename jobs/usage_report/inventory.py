"""Which tenants a run reports on, and one TenantUsage each from the sources' readings: pure.

collect (job.py) reads; this decides. The control plane names the tenants; the filters are
applied in the order an operator reads them (inactive tenants unless asked, `--tenant`, then
the shard's), before Prometheus and analytics are asked, so a one-off run for one tenant never
reports on another. Every reading's fields for a tenant are laid over its `TenantUsage` in
SOURCES order; the methods (the appendix's queries) are the union; problems add up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

from jobs.core.errors import ConfigError
from jobs.usage_report.model import Period, Tenant, TenantUsage
from jobs.usage_report.sources import Reading

#: TenantUsage's fields a source may fill (anything else in a reading is a source's bug)
FIELDS = frozenset(f.name for f in dataclasses.fields(TenantUsage)) - {"tenant", "period", "delivered"}


def selected(
    tenants: Mapping[str, Tenant],
    include_inactive: bool,
    only: Iterable[str],
    owns: Callable[[str], bool],
    elsewhere: list[str] | None = None,
) -> list[Tenant]:
    """The tenants this run reports on, in id order. An id given with `--tenant` that the
    control plane does not know is a usage error naming it (a typo must not read as "sent");
    one that another shard owns goes into `elsewhere`, so the run can say why it sent nothing."""
    wanted: set[str] = set()
    unknown: list[str] = []
    for asked in only:  # as typed, else without the spaces a shell or a YAML list left around it
        found = asked if asked in tenants else asked.strip() if asked.strip() in tenants else None
        if found is None:
            unknown.append(repr(asked))
        else:
            wanted.add(found)
    if unknown:
        known = ", ".join(sorted(tenants)[:10]) + (" ..." if len(tenants) > 10 else "")
        raise ConfigError(f"--tenant {', '.join(unknown)}: no such tenant in the control plane (known: {known})")
    chosen = []
    for tenant_id in sorted(tenants):
        tenant = tenants[tenant_id]
        if wanted and tenant_id not in wanted:
            continue
        if not wanted and not (tenant.active or include_inactive):
            continue  # an inactive tenant named by --tenant is still reported: that is a one-off's point
        if owns(tenant_id):
            chosen.append(tenant)
        elif wanted and elsewhere is not None:
            elsewhere.append(tenant_id)
    return chosen


def needing_breakdowns(usages: Mapping[str, TenantUsage]) -> list[Tenant]:
    """Tenants for whom Prometheus had no `api`/`application` labels: analytics' to fill."""
    return [u.tenant for u in usages.values() if u.breakdown_source == ""]


def start(tenants: Sequence[Tenant], period: Period) -> dict[str, TenantUsage]:
    return {t.id: TenantUsage(tenant=t, period=period) for t in tenants}


def merge(usages: dict[str, TenantUsage], reading: Reading, source: str) -> list[str]:
    """Lay one reading over the tenants' usages (in place); what it tried to set that is not a
    TenantUsage field comes back as problems of the source, never silently dropped."""
    bad: list[str] = []
    for tenant_id, usage in usages.items():
        values = dict(reading.fields.get(tenant_id, {}))
        stray = sorted(set(values) - FIELDS)
        if stray:
            bad.append(f"{source}: unknown fields {', '.join(stray)} for tenant {tenant_id}")
            values = {k: v for k, v in values.items() if k in FIELDS}
        problems = tuple(reading.problems.get(tenant_id, ()))
        if "problems" in values:
            problems = (*tuple(values.pop("problems")), *problems)
        methods = {**usage.methods, **reading.methods, **values.pop("methods", {})}
        usages[tenant_id] = dataclasses.replace(
            usage, **values, methods=methods, problems=_unique((*usage.problems, *problems))
        )
    return bad


def problem_for_all(usages: dict[str, TenantUsage], tenants: Iterable[Tenant], problem: str) -> None:
    """What a whole optional source could not give, stated on each report that needed it."""
    for tenant in tenants:
        usage = usages[tenant.id]
        usages[tenant.id] = dataclasses.replace(usage, problems=_unique((*usage.problems, problem)))


def delivered(usages: dict[str, TenantUsage], done: Mapping[str, Iterable[str]]) -> None:
    """The channels the state DB says were delivered for this period (not done again)."""
    for tenant_id, channels in done.items():
        if tenant_id in usages:
            usages[tenant_id] = dataclasses.replace(usages[tenant_id], delivered=frozenset(channels))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
