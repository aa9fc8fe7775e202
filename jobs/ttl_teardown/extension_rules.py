"""When an extension is granted, pure: owner only, allowed sizes, bounded count and total; and
the ttl tag as written back. The days granted live in the state DB (the source of truth), so
a tag reset by IaC never shortens them (rules.parse_ttl reads only the base)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jobs.ttl_teardown.tags import normalise


@dataclass(frozen=True)
class ExtensionRules:
    allowed_days: tuple[int, ...] = (7, 14)
    max_count: int = 2
    max_total_days: int = 60


def extension_refusal(
    tags: Mapping[str, str], requested_by: str, days: int, granted: Sequence[float], rules: ExtensionRules
) -> str | None:
    """Why an extension is refused, or None: owner only, allowed sizes, bounded count and total."""
    owner = normalise(tags).get("owner", "")
    if not owner or owner.lower() != requested_by.strip().lower():
        return f"only the owner ({owner or 'no owner tag'}) may extend this resource"
    if days not in rules.allowed_days:
        return f"an extension is {' or '.join(str(d) for d in rules.allowed_days)} days, not {days}"
    if len(granted) >= rules.max_count:
        return f"already extended {len(granted)} times (the most is {rules.max_count})"
    if sum(granted) + days > rules.max_total_days:
        return f"{sum(granted):g} days already granted; {days} more would pass the {rules.max_total_days}-day limit"
    return None


def extended_ttl(tag: str, days: int) -> str:
    """The ttl tag as written back: the base with every extension shown (`7d+14d+7d`)."""
    return f"{tag.strip().lower()}+{days}d"
