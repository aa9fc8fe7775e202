"""monitoring/alertmanager.yml: where the rules' alerts go, an example to adapt.

Critical to PagerDuty and e-mail, warning to Slack and e-mail, the same split the jobs' own
notifications use (CONTRACT routes). The SMTP server, sender, recipients and Slack channel come
from the settings' `notifications` section when it names them; every secret is a `*_file` path
the operator mounts (Alertmanager reads it at start-up), so the file holds none. Inhibitions keep
one cause from paging twice: a critical alert silences the warning of the same alert and
subject, a job not running silences its failed-run alert, a tripped guardrail its failed run.
"""

from __future__ import annotations

from typing import Any, Final

from jobs.core.deploy.alert_rules import HEADER, dump
from jobs.core.settings import Settings

#: where the operator mounts the receivers' secrets (a Kubernetes Secret volume, say)
SECRETS_DIR: Final = "/etc/alertmanager/secrets"
#: what every alert is grouped by: one notification per alert, job, shard and kind of run
GROUP_BY: Final = ["alertname", "job_name", "shard", "mode"]
_SUBJECT: Final = ["job_name", "shard", "mode"]


def _email(settings: Settings, severity: str, fallback: str) -> dict[str, Any]:
    email = settings.notifications.email
    recipients = (email.recipients.get(severity) if email else None) or [fallback]  # type: ignore[call-overload]
    return {"to": ", ".join(recipients), "send_resolved": True}


def _global(settings: Settings) -> dict[str, Any]:
    email = settings.notifications.email
    found: dict[str, Any] = {
        "resolve_timeout": "5m",
        "smtp_smarthost": f"{email.smtp_host}:{email.smtp_port}" if email else "smtp.example.com:587",
        "smtp_from": email.sender if email else "alertmanager@example.com",
        "smtp_require_tls": bool(email.starttls) if email else True,
    }
    if email is None or email.username:
        found["smtp_auth_username"] = email.username if email else "alertmanager"
        found["smtp_auth_password_file"] = f"{SECRETS_DIR}/smtp-password"
    found["slack_api_url_file"] = f"{SECRETS_DIR}/slack-webhook-url"
    return found


_SLACK_TEXT: Final = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
)


def _receivers(settings: Settings) -> list[dict[str, Any]]:
    slack = settings.notifications.slack
    return [
        {
            "name": "critical",
            "pagerduty_configs": [
                {
                    "routing_key_file": f"{SECRETS_DIR}/pagerduty-routing-key",
                    "severity": "critical",
                    "description": "{{ .CommonAnnotations.summary }}",
                    "links": [{"href": "{{ .CommonAnnotations.runbook_url }}", "text": "runbook"}],
                    "send_resolved": True,
                }
            ],
            "email_configs": [_email(settings, "critical", "oncall@example.com")],
        },
        {
            "name": "warning",
            "slack_configs": [
                {
                    "channel": (slack.channel if slack and slack.channel else "#secops-alerts"),
                    "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                    "text": _SLACK_TEXT,
                    "send_resolved": True,
                }
            ],
            "email_configs": [_email(settings, "warning", "platform@example.com")],
        },
    ]


def _inhibit(source: str, target: str, equal: list[str]) -> dict[str, Any]:
    return {"source_matchers": [source], "target_matchers": [target], "equal": equal}


def config(settings: Settings) -> dict[str, Any]:
    return {
        "global": _global(settings),
        "route": {
            "receiver": "warning",  # anything without a known severity still reaches someone
            "group_by": GROUP_BY,
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "critical", "repeat_interval": "1h"},
                {"matchers": ['severity="warning"'], "receiver": "warning"},
            ],
        },
        "receivers": _receivers(settings),
        "inhibit_rules": [
            _inhibit('severity="critical"', 'severity="warning"', ["alertname", *_SUBJECT, "resource"]),
            _inhibit('alertname="SecurityJobNotRunning"', 'alertname="SecurityJobFailed"', _SUBJECT),
            _inhibit('alertname="TeardownGuardrailTripped"', 'alertname="SecurityJobFailed"', _SUBJECT),
        ],
    }


def files(settings: Settings) -> dict[str, str]:
    return {"alertmanager.yml": HEADER + dump(config(settings))}
