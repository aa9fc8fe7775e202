"""ttl-teardown's own alert: its guardrail (`max_actions`, `max_actions_percent`) stopped the
last teardown before it deleted anything (`security_job_guardrail_tripped`, which the runner
records for every job, is 1)."""

from __future__ import annotations

from jobs.core.alerting import Alert, Case, Runbook, series
from jobs.ttl_teardown.settings import TtlTeardownSettings

_LABELS = {"job": "ttl-teardown", "job_name": "ttl-teardown", "shard": "all"}
_SERIES = series("security_job_guardrail_tripped", _LABELS)

RUNBOOK = Runbook(
    meaning="The last ttl-teardown run planned more deletions than its guardrail allows "
    "(`ttl_teardown.max_actions`, or `max_actions_percent` of the inventory) and stopped before "
    "acting: nothing was deleted, and every later run stops the same way until someone decides. "
    "A sudden jump usually means a tag was lost or a rule changed, not that resources expired.",
    checks=(
        "python -m jobs run ttl-teardown --dry-run --json | jq '.errors, [.actions[] | .resource]'",
        "python -m jobs audit --job ttl-teardown --since $(date -u -d '-2 days' +%FT%TZ)",
        "kubectl -n secops logs -l app.kubernetes.io/name=ttl-teardown --tail=200",
        'security_job_guardrail_tripped{job_name="ttl-teardown"} == 1',
    ),
    resolve=(
        "Review the planned deletions of the dry run. When they are wrong, fix the tags or the "
        "whitelist (`ttl_teardown.whitelist`) and dry-run again.",
        "When they are right (a one-off backlog), run the teardown once with a higher limit: "
        "`SECOPS_TTL_TEARDOWN__MAX_ACTIONS=<n> python -m jobs run ttl-teardown --apply`.",
    ),
)


def alerts(cfg: TtlTeardownSettings) -> list[Alert]:
    return [
        Alert(
            "TeardownGuardrailTripped",
            'security_job_guardrail_tripped{job_name="ttl-teardown"} == 1',
            "warning",
            "ttl-teardown was stopped by its guardrail",
            f"The last ttl-teardown run (shard {{{{ $labels.shard }}}}) planned more than {cfg.max_actions} "
            f"deletions or {cfg.max_actions_percent:g}% of the inventory and deleted nothing.",
            RUNBOOK,
            fires=Case({_SERIES: "1x10"}, (_LABELS,)),
            quiet=Case({_SERIES: "0x10"}),
        )
    ]
