"""usage-report's own alerts, on the series metrics.py pushes for the scheduled runs (`mode=""`:
a one-off `--tenant` run neither raises nor clears them):

- UsageReportsFailing (warning): the last run could not deliver some tenants' reports (an
  address refused, an SMTP 5xx, S3 denied, a report that could not be rendered). They are not
  recorded as delivered, so the next run of the same period sends them; until then the tenants
  have nothing.
- UsageReportsUndeliverable (warning): tenants with no usable contact address and no other
  channel: their reports are made and go nowhere, every period, until the control plane is fixed.

A run that read nothing (a source down) is the core's JobFailed: no report at all was sent.
"""

from __future__ import annotations

from jobs.core.alerting import Alert, Case, Runbook, series
from jobs.usage_report.settings import UsageReportSettings

_JOB = {"job": "usage-report", "shard": "all"}
_FAILED = {**_JOB, "status": "failed"}
_UNDELIVERABLE = {**_JOB, "status": "undeliverable"}
_FAILED_SERIES = series("security_usage_report_tenants", _FAILED)
_UNDELIVERABLE_SERIES = series("security_usage_report_tenants", _UNDELIVERABLE)
_RUN = "python -m jobs run usage-report --period daily --dry-run --json"

FAILING_RUNBOOK = Runbook(
    meaning="The last usage-report run could not deliver the reports of some tenants: the mail server "
    "refused an address or the message (SMTP 5xx), S3 refused the copy, or a report could not be rendered. "
    "Each is a `usage_report_not_delivered` finding naming the tenant and the channel. Nothing is recorded "
    "as delivered for them, so the next run of the same period sends exactly those, and no other tenant twice.",
    checks=(
        "python -m jobs audit --job usage-report --since $(date -u -d '-2 days' +%FT%TZ) | grep failed",
        f"{_RUN} | jq '.findings[] | select(.type == \"usage_report_not_delivered\")'",
        'security_usage_report_tenants{status="failed",mode=""} > 0',
        'increase(security_usage_reports_total{status="failed"}[1d])',
    ),
    resolve=(
        "A refused address: correct the tenant's `contact_email` in the control plane, then re-run the "
        "period: `python -m jobs run usage-report --period <daily|weekly> --now <an instant in the next "
        "period> --tenant <id>`.",
        "The mail server or S3 down or refusing everything: fix it (`notifications.email`, the bucket's "
        "policy and `usage_report.delivery`), then re-run the period the same way without `--tenant`: "
        "tenants already delivered are not mailed again.",
    ),
)

UNDELIVERABLE_RUNBOOK = Runbook(
    meaning="Some tenants have no usable contact address (empty or malformed `contact_email`) and mail "
    "is their only delivery channel: their reports are computed and go nowhere. The run's `usage_no_contact` "
    "findings name each tenant and the malformed address.",
    checks=(
        f"{_RUN} | jq '.findings[] | select(.type == \"usage_no_contact\") | .message'",
        'security_usage_report_tenants{status="undeliverable",mode=""} > 0',
    ),
    resolve=(
        "Set the tenants' `contact_email` in the control plane (comma-separated addresses); the next run "
        "mails them. Or keep a copy for every tenant with `usage_report.delivery.s3_bucket` or `directory`.",
    ),
)


def alerts(cfg: UsageReportSettings) -> list[Alert]:
    return [
        Alert(
            "UsageReportsFailing",
            'security_usage_report_tenants{status="failed",mode=""} > 0',
            "warning",
            "usage-report could not deliver some tenants' reports",
            "The last usage-report run left some tenants' reports undelivered; the next run of the period sends them.",
            FAILING_RUNBOOK,
            fires=Case({_FAILED_SERIES: "2x10"}, (_FAILED,)),
            quiet=Case({_FAILED_SERIES: "0x10"}),
        ),
        Alert(
            "UsageReportsUndeliverable",
            'security_usage_report_tenants{status="undeliverable",mode=""} > 0',
            "warning",
            "usage-report has tenants without a usable contact address",
            "The last usage-report run had tenants whose reports could be sent nowhere (no usable contact).",
            UNDELIVERABLE_RUNBOOK,
            fires=Case({_UNDELIVERABLE_SERIES: "1x10"}, (_UNDELIVERABLE,)),
            quiet=Case({_UNDELIVERABLE_SERIES: "0x10"}),
        ),
    ]
