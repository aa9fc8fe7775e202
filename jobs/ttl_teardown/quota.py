"""Project quotas: what each resource counts against its project's limits, and the findings
for a project over one. Pure; which type counts against which metric is the types' own entry
(providers.aws.types.TYPES, providers.kubernetes.KINDS), gathered in catalog.QUOTAS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from jobs.core.model import Finding, Severity
from jobs.ttl_teardown.model import Item


@dataclass(frozen=True)
class Quota:
    """What one resource counts against its project's quota `metric`: itself, or its size."""

    metric: str
    by: Literal["count", "size_gb"] = "count"

    def amount(self, item: Item) -> float:
        return (item.sizing.size_gb or 0.0) if self.by == "size_gb" else 1.0


def findings(
    items: Sequence[Item], counted: Mapping[str, Quota], quotas: Mapping[str, Mapping[str, float]]
) -> list[Finding]:
    """One finding per project and metric over its limit (`default`, overridden per project)."""
    usage: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in items:
        project = item.tag("project")
        if project:
            quota = counted.get(item.type)
            if quota:
                usage[project][quota.metric] += quota.amount(item)
    found = []
    for project, used in sorted(usage.items()):
        limits = {**quotas.get("default", {}), **quotas.get(project, {})}
        for metric, limit in sorted(limits.items()):
            if used[metric] > limit:
                message = f"{metric} {used[metric]:g} over the quota of {limit:g}"
                details = {"project": project, "metric": metric, "used": used[metric], "quota": limit}
                found.append(Finding("quota_exceeded", Severity.WARNING, f"project:{project}", message, details))
    return found
