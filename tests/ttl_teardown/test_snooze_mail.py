"""The whole flow: a run warns the owner by e-mail through a real SMTP server (aiosmtpd, STARTTLS
and AUTH); the link read from the mail that server received extends the resource once, and only
once, through the real Lambda handler. Without a key the same run's mail carries no link, and
the route says it is not configured: the two agree."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from jobs.core.registry import JOBS
from tests import services
from tests.helpers import run_cli, write_config
from tests.ttl_teardown.fleet import OWNER, REGION
from tests.ttl_teardown.snooze_site import BASE, KEY, Site, arn, call, follow, press, url_event

LINK = re.compile(re.escape(BASE) + r"/snooze\?\S+")


def warn_by_mail(site: Site, smtp: services.Smtp, snooze: dict[str, str]) -> list[str]:
    """One warn-only run at the real clock, its owner mail sent over SMTP; the mail's text."""
    settings = {
        "state_db_url": site.state_url,
        "log_level": "warning",
        "notifications": {
            "routes": {"critical": ["file"], "warning": ["file"], "info": ["file"]},
            "file": {"path": str(site.dir / "outbox.jsonl")},
            "email": smtp.email(),
        },
        "ttl_teardown": {"regions": [REGION], "aws": {"types": ["ec2:instance"]}, "snooze": snooze},
    }
    config = write_config(site.dir / "secops.yaml", settings)
    argv = ["--config", config, "--now", datetime.now(UTC).isoformat(), "--apply", "--warn-only"]
    assert run_cli(JOBS["ttl-teardown"], argv)["exit_code"] == 0
    texts = []
    for envelope in smtp.messages:
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if envelope.rcpt_tos == [OWNER] and "will be deleted" in str(mail["Subject"]):
            body = mail.get_body(preferencelist=("plain",))
            assert body is not None
            texts.append(str(body.get_content()))
    return texts


def test_the_link_in_the_mail_the_smtp_server_received_extends_once_and_only_once(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, smtp: services.Smtp
) -> None:
    site = Site(fleet, monkeypatch)
    [text] = warn_by_mail(site, smtp, {"hmac_key": KEY, "base_url": BASE})
    doomed = arn(site.ids["doomed"])
    mine = [line for line in text.splitlines() if f"extend {site.ids['doomed']} by 7 days" in line]
    [seven] = [link for line in mine for link in LINK.findall(line)]
    parts = urlsplit(seven)
    shown = call(url_event("GET", parts.query, path=parts.path))
    assert shown["statusCode"] == 200 and doomed in shown["body"] and "<button>Extend</button>" in shown["body"]
    assert site.rows() == []  # opening the link (or a scanner fetching it) extends nothing
    done = press(shown)
    assert done["statusCode"] == 303
    assert "was extended by 7 days" in follow(done)["body"]
    assert follow(done)["statusCode"] == 200  # the result page again: no second extension
    assert press(shown)["statusCode"] == 409
    assert [row[:3] for row in site.rows()] == [(doomed, 7.0, 1)]


def test_without_a_key_the_mail_has_no_link_and_the_route_is_not_configured(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, smtp: services.Smtp
) -> None:
    site = Site(fleet, monkeypatch)
    [text] = warn_by_mail(site, smtp, {"base_url": BASE})
    assert site.ids["doomed"] in text and "/snooze?" not in text
    assert "python -m jobs.ttl_teardown extend" in text  # the command line still says how
    answer = call(url_event("GET", "v=1"))
    assert answer["statusCode"] == 400  # malformed first: nothing of the settings is read for it
    assert call(url_event("GET", urlsplit(site.link()).query))["statusCode"] == 503
