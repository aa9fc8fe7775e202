"""Alerts: one message per repository and channel, with counts and the top findings in their
masked forms, over real SMTP (aiosmtpd) and the Slack fake; never the secret; state per
finding, so an unchanged second run sends nothing."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from tests import services
from tests.fakes.slack import FakeSlack
from tests.repo_scanner.running import config, git_repo, package_lock, scan
from tests.test_notifications import email_settings

AWS_SECRET = "h7Jk2Lp9Qw3Er5Ty8Ui1Op4As6Df0Gh2Jk5Lz7Xc"
DB_PASSWORD = "Vq7pLm2xRt9Kw"
API_KEY = "AKIAQ3XW7ZK2M5PLR9TN"
ENV = f'aws_access_key_id = {API_KEY}\naws_secret_access_key = "{AWS_SECRET}"\nDATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/app\n'


def test_five_findings_in_two_repositories_are_two_messages_per_channel(
    tmp_path: Path, smtp: services.Smtp, slack: FakeSlack
) -> None:
    app = git_repo(tmp_path / "app", {"config.env": ENV})
    web = git_repo(
        tmp_path / "web", {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only", "agpl": "AGPL-3.0-only"})}
    )
    recipients = {"critical": ["oncall@example.test"], "warning": ["dev@example.test"]}
    mail = email_settings(smtp, recipients=recipients).model_dump(mode="json", exclude_none=True)
    mail["password"] = smtp.password  # dumped masked
    cfg = config(tmp_path, notifications={"email": mail, "slack": {"webhook_url": slack.webhook_url}})
    result = scan(cfg, "--repo", str(app), "--repo", str(web))
    assert len(result["findings"]) == 5 and result["errors"] == []
    assert sorted(result["alerts_sent"]) == ["email", "slack"]

    mails = [email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp.messages]
    assert sorted(m["Subject"] for m in mails) == [
        "[CRITICAL] repo:app: 3 findings (2 critical, 1 warning)",
        "[WARNING] repo:web: 2 findings (2 warning)",
    ]
    app_mail = next(m for m in mails if "repo:app" in m["Subject"])
    assert [m.rcpt_tos for m in smtp.messages if b"repo:app" in m.content] == [["oncall@example.test"]]
    text = app_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "By severity: 2 critical, 1 warning" in text and "By type: 3 secret" in text
    assert "• [critical] repo:app:config.env:2: AWS secret access key (h7Jk…(40 chars))" in text
    web_mail = next(m for m in mails if "repo:web" in m["Subject"])
    web_text = web_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "• [warning] repo:web:package-lock.json:14: agpl 1.0.0: license AGPL-3.0-only is denied" in web_text

    assert len(slack.webhook_posts) == 2
    everything = b"".join(m.content for m in smtp.messages) + json.dumps(slack.webhook_posts).encode()
    for secret in (AWS_SECRET, DB_PASSWORD, API_KEY):
        assert secret.encode() not in everything

    again = scan(cfg, "--repo", str(app), "--repo", str(web))
    assert again["alerts_sent"] == [] and len(smtp.messages) == 2  # alert state is per finding
