"""secret-rotation's own alert: secrets past their max age that the last run left unrotated
(`security_secrets_overdue`, by type): a notify-only type a human must rotate, a rotation
rolled back and backing off, a dry-run deployment, or a rotation that failed."""

from __future__ import annotations

from jobs.core.alerting import Alert, Case, Runbook, series
from jobs.secret_rotation.settings import SecretRotationSettings

_LABELS = {"job": "secret-rotation", "shard": "all", "type": "db_password"}
_SERIES = series("security_secrets_overdue", _LABELS)

RUNBOOK = Runbook(
    meaning="After its last run, secret-rotation still found secrets older than their policy's "
    "`max_age_days` (label `type`). Either the type is rotated by hand (`auto_rotate: false`, "
    "e.g. encryption keys), the last rotation failed and was rolled back (it backs off before "
    "retrying), the deployment runs in dry-run mode, or this run's rotation failed.",
    checks=(
        "python -m jobs run secret-rotation --dry-run --json | jq '.findings[] | select(.details.status != \"ok\")'",
        "python -m jobs audit --job secret-rotation --since $(date -u -d '-7 days' +%FT%TZ)",
        "kubectl -n secops logs -l app.kubernetes.io/name=secret-rotation --tail=200",
        "security_secrets_overdue > 0",
        "security_secret_rotation_failures > 0",
    ),
    resolve=(
        "manual_overdue: rotate the secret by hand (re-encrypting what it protects) and set its "
        "`last_rotated` custom metadata in Vault.",
        "backing_off or a failed rotation: fix the consumer named in the run's errors (a database, a "
        "Kubernetes Secret, Keycloak), then run `python -m jobs run secret-rotation --apply` once.",
        "A dry-run deployment: set `secret_rotation.dry_run: false` when the rotation is meant to act.",
    ),
)


def alerts(cfg: SecretRotationSettings) -> list[Alert]:
    return [
        Alert(
            "SecretRotationOverdue",
            "security_secrets_overdue > 0",
            "warning",
            "{{ $labels.type }} secrets are overdue for rotation",
            "The last secret-rotation run left {{ $labels.type }} secrets past their maximum age unrotated.",
            RUNBOOK,
            fires=Case({_SERIES: "2x10"}, (_LABELS,)),
            quiet=Case({_SERIES: "0x10"}),
        )
    ]
