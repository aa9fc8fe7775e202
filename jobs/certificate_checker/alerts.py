"""certificate-checker's own alert: a certificate whose expiry (`security_certificate_expiry_timestamp`,
per source and resource) is nearer than the job's thresholds, critical and warning, as the
settings the deployment runs with say (the same `thresholds` its findings use)."""

from __future__ import annotations

from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.alerting import Alert, Case, Runbook, series

_EXPIRY = "security_certificate_expiry_timestamp"
_DAY = 86400
_LABELS = {"job": "certificate-checker", "shard": "all", "source": "files", "resource": "file:/etc/tls/api.pem"}
_SERIES = series(_EXPIRY, _LABELS)

RUNBOOK = Runbook(
    meaning="A certificate the checker read (a file, an endpoint, a Kubernetes TLS secret, Vault PKI or ACM) "
    "expires sooner than the job's thresholds (`certificate_checker.thresholds`). The alert carries the "
    "certificate's `resource` and `source`; it clears once a renewed certificate is read by the next run.",
    checks=(
        "python -m jobs run certificate-checker --dry-run --json | jq '.findings[] | select(.severity != \"ok\")'",
        "python -m jobs audit --job certificate-checker --since $(date -u -d '-2 days' +%FT%TZ)",
        "(security_certificate_expiry_timestamp - time()) / 86400 < 30",
        "openssl x509 -noout -subject -enddate -in <the file named by resource>",
    ),
    resolve=(
        "Renew the certificate at its issuer (cert-manager, Vault PKI, ACM) and deploy it where `resource` says.",
        "An endpoint that still serves the old chain after renewal: reload the server; a chain problem "
        "(`chain_expiring`) needs the intermediate replaced too.",
        "A certificate that is no longer used: remove it from the checker's sources so it stops being read.",
    ),
)


def alerts(cfg: CertificateCheckerSettings) -> list[Alert]:
    """Critical inside `critical_days`, warning inside `warning_days` (one or the other, never
    both; no warning rule when the two are equal). The quiet case sits outside both windows,
    since promtool checks every rule of a name at once."""
    critical, warning = cfg.thresholds.critical_days, cfg.thresholds.warning_days
    left = f"({_EXPIRY} - time()) / {_DAY}"
    found = [_expiring("critical", f"{left} < {critical}", critical, (critical - 1) * _DAY, warning)]
    if warning > critical:
        within = f"{left} < {warning} and {left} >= {critical}"
        found.append(_expiring("warning", within, warning, warning * _DAY - 3600, warning))
    return found


def _expiring(severity: str, expr: str, days: int, firing_at: int, warning: int) -> Alert:
    """`firing_at`: seconds of validity left that fire this rule alone."""
    return Alert(
        "CertificateExpiringSoon",
        expr,
        severity,
        "Certificate {{ $labels.resource }} expires soon",
        f"{{{{ $labels.resource }}}} (source {{{{ $labels.source }}}}) expires in less than {days} days.",
        RUNBOOK,
        fires=Case({_SERIES: f"{firing_at}x10"}, (_LABELS,)),
        quiet=Case({_SERIES: f"{warning * _DAY + 3600}x10"}),
    )
