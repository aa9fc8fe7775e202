"""Settings of each channel and of routing; part of the one settings file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

AlertSeverity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[AlertSeverity, ...] = ("critical", "warning", "info")
#: a repeat window in hours: a finite number, zero or more (null, where allowed, is "never")
RepeatHours = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _default_repeat() -> dict[AlertSeverity, float | None]:
    hours: float | None = 24.0
    return dict.fromkeys(SEVERITIES, hours)


#: CONTRACT routes, used when `routes` is not set (channels that are not configured drop out)
DEFAULT_ROUTES: dict[str, list[str]] = {
    "critical": ["email", "slack", "pagerduty"],
    "warning": ["email", "slack"],
    "info": ["slack"],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlackSettings(_Strict):
    """Incoming webhook, or a bot token posting with chat.postMessage (needed for attachments)."""

    webhook_url: SecretStr | None = Field(None, description="incoming webhook (no attachments)")
    bot_token: SecretStr | None = Field(None, description="xoxb- token: chat.postMessage and file uploads")
    channel: str | None = Field(None, description="channel name or ID for the bot token")
    api_url: str = Field("https://slack.com/api/", description="Web API base URL")
    timeout_seconds: float = Field(10.0, gt=0, description="per request")

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackSettings:
        if (self.webhook_url is None) == (self.bot_token is None):
            raise ValueError("set exactly one of webhook_url or bot_token")
        if self.bot_token is not None and not self.channel:
            raise ValueError("bot_token needs a channel")
        return self


class EmailSettings(_Strict):
    smtp_host: str = Field(description="SMTP server")
    smtp_port: int = Field(587, ge=1, le=65535, description="587 for STARTTLS, 465 for SMTPS")
    starttls: bool = Field(True, description="upgrade with STARTTLS (port 587)")
    ssl: bool = Field(False, description="SMTPS: TLS from the first byte (port 465)")
    username: str | None = Field(None, description="log in when set")
    password: SecretStr | None = Field(None, description="a file: or vault: reference in production")
    sender: str = Field(description="From: address")
    recipients: dict[AlertSeverity, list[str]] = Field(
        default_factory=dict, description="per severity; a message may name its own"
    )
    ca_file: str | None = Field(None, description="extra CA bundle to verify the server")
    verify_tls: bool = Field(True, description="false only for a lab server")
    timeout_seconds: float = Field(15.0, gt=0, description="per connection")

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailSettings:
        if self.ssl and self.starttls:
            raise ValueError("ssl (SMTPS) and starttls exclude each other")
        return self


class PagerDutySettings(_Strict):
    routing_key: SecretStr = Field(description="Events API v2 integration key (32 characters)")
    events_url: str = Field("https://events.pagerduty.com/v2/enqueue", description="Events API v2 endpoint")
    source: str = Field("secops-jobs", description="payload.source of every event")
    timeout_seconds: float = Field(10.0, gt=0, description="per request")


class FileSettings(_Strict):
    path: str = Field("./secops-outbox.jsonl", description="JSON-lines outbox")


class NotificationSettings(_Strict):
    routes: dict[AlertSeverity, list[str]] | None = Field(
        None, description="channels per severity; default: CONTRACT routes over configured channels"
    )
    slack: SlackSettings | None = Field(None, description="Slack channel")
    email: EmailSettings | None = Field(None, description="e-mail channel")
    pagerduty: PagerDutySettings | None = Field(None, description="PagerDuty channel (one incident per finding)")
    file: FileSettings | None = Field(None, description="JSON-lines outbox; the default when nothing else is set")
    repeat_after_hours: dict[AlertSeverity, RepeatHours | None] = Field(
        default_factory=_default_repeat,
        description="re-send an unchanged alert after this long; null: never repeat",
    )
    retry_attempts: int = Field(3, ge=1, le=10, description="tries per message for transient errors")

    def configured(self) -> list[str]:
        names = [n for n in ("slack", "email", "pagerduty", "file") if getattr(self, n)]
        return names or ["file"]  # the embedded default: a local outbox

    def effective_routes(self) -> dict[str, list[str]]:
        configured = self.configured()
        if self.routes is None:  # CONTRACT routes over what is configured; a configured outbox gets everything
            return {sev: [c for c in [*chans, "file"] if c in configured] for sev, chans in DEFAULT_ROUTES.items()}
        return {sev: list(chans) for sev, chans in self.routes.items()}

    @model_validator(mode="after")
    def _routes_name_configured_channels(self) -> NotificationSettings:
        if self.routes is None:
            return self
        configured = self.configured()
        for severity, channels in self.routes.items():
            for channel in channels:
                if channel not in configured:
                    raise ValueError(
                        f"routes.{severity} names '{channel}', which is not configured "
                        f"(configured: {', '.join(configured)})"
                    )
        return self
