"""What an alert rule is: the expression, its severity and texts, its runbook and the two
promtool cases that prove it, in one entry (as a resource type names everything about itself).

The core's rules (jobs.core.deploy.alert_rules) and each job's own (`JobSpec.alerts`, over the
job's settings section, for the series only that job emits) are built from it, so a rule never
ships without its runbook or its unit test. A leaf: job packages import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

SEVERITIES: Final = ("critical", "warning")


@dataclass(frozen=True)
class Case:
    """One promtool unit test: these input series (promtool's expanding notation, a sample a
    minute from 0), evaluated `at` in, fire exactly these alerts, each named by its labels
    (those of the series it fired on; the rule's own labels are added when it is rendered)."""

    series: Mapping[str, str]
    fires: tuple[Mapping[str, str], ...] = ()
    at: str = "5m"


@dataclass(frozen=True)
class Runbook:
    """docs/runbooks/<alert>.md: what it means, the first commands to run, how to resolve it."""

    meaning: str
    checks: tuple[str, ...]  # each a shell command or a PromQL query, shown as code
    resolve: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    """One rule. Several rules may share a name (one per job, one per severity): they share
    its runbook. `summary` and `description` may use `{{ $labels.<name> }}` only, so a promtool
    case can state the exact text expected."""

    name: str
    expr: str
    severity: str
    summary: str
    description: str
    runbook: Runbook
    fires: Case
    quiet: Case
    hold: str = ""  # the rule's `for`
    labels: Mapping[str, str] = field(default_factory=dict)


def series(name: str, labels: Mapping[str, str]) -> str:
    """`name{a="1",b="2"}`: a promtool input series, or an exact selector, from its labels."""
    return name + "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"
