"""Each channel's exact payload at its real server or fake; failures are isolated and typed."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pytest

from jobs.core.errors import PermanentError, TransientError
from notifications.base import Notifier, build_notifier
from notifications.email import EmailNotifier
from notifications.message import Attachment, Message
from notifications.pagerduty import PagerDutyNotifier
from notifications.router import Router
from notifications.settings import EmailSettings, PagerDutySettings, SlackSettings
from notifications.slack import SlackNotifier
from tests import services
from tests.fakes.base import Response
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import VALID_TOKEN, FakeSlack

ROUTING_KEY = "R0UT1NGK3Y0123456789abcdefABCDEF"
ALERT = Message(
    severity="critical",
    title="endpoint:api.example.test:443: certificate expires in 5 days",
    body="certificate expires in 5 days",
    source="certificate-checker",
    fields={"days_left": "5", "not_after": "2026-11-28T00:00:00Z"},
    dedup_key="certificate-checker:certificate:endpoint:api.example.test:443",
)


def no_sleep(_: float) -> None:
    return None


# -- Slack -----------------------------------------------------------------------------------
def test_slack_webhook_payload_names_the_certificate_and_days_left(slack: FakeSlack) -> None:
    SlackNotifier(SlackSettings(webhook_url=slack.webhook_url)).send(ALERT)
    [payload] = slack.webhook_posts
    assert payload["text"].startswith("[CRITICAL] endpoint:api.example.test:443: certificate expires in 5 days")
    header, section, fields, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":red_circle: [CRITICAL] endpoint:api.example.test:443: certificate expires in 5 days",
        },
    }
    assert section["text"]["text"] == "certificate expires in 5 days"
    assert {"type": "mrkdwn", "text": "*days_left*\n5"} in fields["fields"]
    assert "certificate-checker:certificate:endpoint:api.example.test:443" in context["elements"][0]["text"]


def test_slack_bot_posts_with_block_kit_and_uploads_attachments_in_the_thread(slack: FakeSlack) -> None:
    notifier = SlackNotifier(SlackSettings(bot_token=VALID_TOKEN, channel="#alerts", api_url=slack.api_url))
    report = Attachment("report.pdf", b"%PDF-1.7 fake", "application/pdf")
    notifier.send(Message(**{**ALERT.__dict__, "attachments": (report,)}))
    [posted] = slack.messages
    assert posted["channel"] == "#alerts" and posted["blocks"][0]["type"] == "header"
    assert slack.uploads == {next(iter(slack.uploads)): b"%PDF-1.7 fake"}
    [completed] = slack.completed
    assert completed["channel_id"] == "C0ALERTS01"  # the ID chat.postMessage answered with
    assert completed["thread_ts"] == posted["ts"]
    assert completed["files"][0]["title"] == "report.pdf"
    assert [r.path for r in slack.calls("POST", r"/(api|upload)")] == [
        "/api/chat.postMessage",
        "/api/files.getUploadURLExternal",
        f"/upload/{next(iter(slack.uploads))}",
        "/api/files.completeUploadExternal",
    ]


def test_slack_rate_limit_is_transient_with_retry_after(slack: FakeSlack) -> None:
    slack.fail_next("POST", r"/services/.*", Response(429, "rate_limited", {"Retry-After": "7"}))
    with pytest.raises(TransientError) as caught:
        SlackNotifier(SlackSettings(webhook_url=slack.webhook_url)).send(ALERT)
    assert caught.value.retry_after == 7.0


def test_slack_bad_token_is_permanent(slack: FakeSlack) -> None:
    notifier = SlackNotifier(SlackSettings(bot_token="xoxb-wrong", channel="#alerts", api_url=slack.api_url))
    with pytest.raises(PermanentError, match="invalid_auth"):
        notifier.send(ALERT)


def test_slack_unknown_channel_is_permanent(slack: FakeSlack) -> None:
    notifier = SlackNotifier(SlackSettings(bot_token=VALID_TOKEN, channel="#nope", api_url=slack.api_url))
    with pytest.raises(PermanentError, match="channel_not_found"):
        notifier.send(ALERT)


# -- e-mail (real SMTP server: aiosmtpd with STARTTLS and AUTH) ------------------------------------
def email_settings(smtp: services.Smtp, **extra: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "starttls": True,
        "username": smtp.username,
        "password": smtp.password,
        "sender": "secops@example.test",
        "recipients": {"critical": ["oncall@example.test", "sec@example.test"]},
        "ca_file": smtp.ca_file,
        **extra,
    }
    return EmailSettings(**values)


def test_email_goes_over_starttls_with_auth_as_text_html_and_attachment(smtp: services.Smtp) -> None:
    report = Attachment("report.pdf", b"%PDF-1.7 fake", "application/pdf")
    EmailNotifier(email_settings(smtp)).send(Message(**{**ALERT.__dict__, "attachments": (report,)}))
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["oncall@example.test", "sec@example.test"]
    assert smtp.logins == [(smtp.username, True)]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail["Subject"] == "[CRITICAL] endpoint:api.example.test:443: certificate expires in 5 days"
    assert mail["X-Secops-Dedup-Key"] == ALERT.dedup_key
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "days_left: 5" in text and "<th align='left'>days_left</th><td>5</td>" in html
    [attached] = list(mail.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("report.pdf", b"%PDF-1.7 fake")


def test_email_message_recipients_override_the_severity_list(smtp: services.Smtp) -> None:
    owner_mail = Message(**{**ALERT.__dict__, "severity": "warning", "recipients": ("owner@example.test",)})
    EmailNotifier(email_settings(smtp)).send(owner_mail)
    assert smtp.messages[0].rcpt_tos == ["owner@example.test"]


def test_email_bad_login_is_permanent_and_does_not_hang(smtp: services.Smtp) -> None:
    with pytest.raises(PermanentError, match="login refused"):
        EmailNotifier(email_settings(smtp, password="wrong")).send(ALERT)
    assert smtp.logins and all(not ok for _, ok in smtp.logins)  # smtplib tries each advertised mechanism
    assert smtp.messages == []


def test_email_to_a_server_with_an_untrusted_certificate_is_refused(smtp: services.Smtp) -> None:
    with pytest.raises(PermanentError, match=r"TLS with 127\.0\.0\.1 failed"):
        EmailNotifier(email_settings(smtp, ca_file=None)).send(ALERT)


def test_email_without_recipients_for_the_severity_is_permanent(smtp: services.Smtp) -> None:
    with pytest.raises(PermanentError, match="no recipients for info"):
        EmailNotifier(email_settings(smtp)).send(Message(**{**ALERT.__dict__, "severity": "info"}))


def test_email_to_a_closed_port_is_transient() -> None:
    settings = EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=services.free_port(),
        sender="a@b",
        timeout_seconds=2,
        recipients={"critical": ["x@y"]},
    )
    with pytest.raises(TransientError, match="unreachable"):
        EmailNotifier(settings).send(ALERT)


# -- PagerDuty -----------------------------------------------------------------------------------
def pd(fake: FakePagerDuty) -> PagerDutyNotifier:
    return PagerDutyNotifier(PagerDutySettings(routing_key=ROUTING_KEY, events_url=fake.events_url))


def test_pagerduty_trigger_then_resolve_share_the_dedup_key(pagerduty: FakePagerDuty) -> None:
    pd(pagerduty).send(ALERT)
    pd(pagerduty).send(Message(**{**ALERT.__dict__, "resolved": True}))
    trigger, resolve = pagerduty.events
    assert trigger == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": ALERT.dedup_key,
        "payload": {
            "summary": ALERT.title,
            "source": "secops-jobs",
            "severity": "critical",
            "component": "certificate-checker",
            "custom_details": {"body": ALERT.body, "days_left": "5", "not_after": "2026-11-28T00:00:00Z"},
        },
        "client": "secops-jobs",
    }
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": ALERT.dedup_key}
    assert pagerduty.open_incidents == {}


def test_pagerduty_invalid_event_is_permanent_with_the_servers_reason(pagerduty: FakePagerDuty) -> None:
    notifier = PagerDutyNotifier(PagerDutySettings(routing_key="short", events_url=pagerduty.events_url))
    with pytest.raises(PermanentError, match="HTTP 400: 'routing_key' is invalid"):
        notifier.send(ALERT)


def test_pagerduty_throttling_is_transient(pagerduty: FakePagerDuty) -> None:
    pagerduty.fail_next(
        "POST",
        "/v2/enqueue",
        Response(429, {"status": "throttle event", "message": "Requests for this service are arriving too quickly"}),
    )
    with pytest.raises(TransientError, match="HTTP 429"):
        pd(pagerduty).send(ALERT)


# -- router --------------------------------------------------------------------------------------
class Broken:
    name, per_message = "broken", True

    def send(self, message: Message) -> None:
        raise RuntimeError("channel bug")


def test_a_failing_channel_does_not_block_the_others(pagerduty: FakePagerDuty, slack: FakeSlack) -> None:
    notifiers: Mapping[str, Notifier] = {
        "broken": Broken(),
        "pagerduty": pd(pagerduty),
        "slack": SlackNotifier(SlackSettings(webhook_url=slack.webhook_url)),
    }
    router = Router({"critical": ["broken", "pagerduty", "slack"]}, notifiers, sleep=no_sleep)
    delivery = router.deliver([ALERT])
    assert delivery.sent == ["pagerduty", "slack"]
    assert delivery.delivered == set()  # not every channel took it: the next run tries again
    assert delivery.errors == [("broken", f"{ALERT.title}: RuntimeError('channel bug')")]
    assert len(pagerduty.events) == 1 and len(slack.webhook_posts) == 1


def test_transient_failures_are_retried_then_delivered(pagerduty: FakePagerDuty) -> None:
    pagerduty.fail_next("POST", "/v2/enqueue", Response(503, {"status": "error"}), times=2)
    sleeps: list[float] = []
    delivery = Router({"critical": ["pagerduty"]}, {"pagerduty": pd(pagerduty)}, sleep=sleeps.append).deliver([ALERT])
    assert delivery.sent == ["pagerduty"] and len(sleeps) == 2 and len(pagerduty.events) == 1


def test_chat_channels_get_one_digest_and_pagerduty_one_incident_each(
    pagerduty: FakePagerDuty, slack: FakeSlack
) -> None:
    alerts = [Message(**{**ALERT.__dict__, "title": f"cert {i} expires", "dedup_key": f"k{i}"}) for i in range(3)]
    notifiers: Mapping[str, Notifier] = {
        "pagerduty": pd(pagerduty),
        "slack": SlackNotifier(SlackSettings(webhook_url=slack.webhook_url)),
    }
    delivery = Router({"critical": ["slack", "pagerduty"]}, notifiers, sleep=no_sleep).deliver(alerts)
    assert delivery.delivered == {0, 1, 2}
    assert [e["dedup_key"] for e in pagerduty.events] == ["k0", "k1", "k2"]
    [digest] = slack.webhook_posts
    assert digest["text"].startswith("[CRITICAL] certificate-checker: 3 critical alerts")
    assert "• cert 2 expires" in digest["blocks"][1]["text"]["text"]


def test_the_notifier_table_builds_each_channel_lazily() -> None:
    notifier = build_notifier("file", None)
    assert notifier.name == "file" and notifier.per_message


def test_file_outbox_line_is_the_whole_message_without_attachment_bytes(tmp_path: Any) -> None:
    from notifications.file import FileNotifier
    from notifications.settings import FileSettings

    path = tmp_path / "out" / "outbox.jsonl"
    report = Attachment("report.pdf", b"%PDF", "application/pdf")
    FileNotifier(FileSettings(path=str(path))).send(Message(**{**ALERT.__dict__, "attachments": (report,)}))
    [line] = [json.loads(x) for x in path.read_text().splitlines()]
    assert line.pop("at")
    assert line == {
        "kind": "alert",
        "severity": "critical",
        "source": "certificate-checker",
        "title": ALERT.title,
        "body": ALERT.body,
        "fields": dict(ALERT.fields),
        "dedup_key": ALERT.dedup_key,
        "recipients": [],
        "attachments": [{"filename": "report.pdf", "bytes": 4, "sha256": hashlib.sha256(b"%PDF").hexdigest()}],
    }
