"""The settings a delivery test hands the channels: the run's (notifications.email) and the job's."""

from __future__ import annotations

from typing import Any

from jobs.core.settings import Settings
from jobs.usage_report.settings import UsageReportSettings
from tests import services


def usage(**delivery: Any) -> UsageReportSettings:
    return UsageReportSettings.model_validate({"delivery": {"email": False, **delivery}})


def run_settings(smtp: services.Smtp | None = None, **email: Any) -> Settings:
    notifications: dict[str, Any] = {}
    if smtp is not None:
        notifications["email"] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "starttls": True,
            "username": smtp.username,
            "password": smtp.password,
            "sender": "API platform <reports@platform.test>",
            "ca_file": smtp.ca_file,
            "timeout_seconds": 10,
            **email,
        }
    return Settings.model_validate({"notifications": notifications})
