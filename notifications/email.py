"""E-mail over SMTP: STARTTLS or SMTPS, optional auth, text + HTML, attachments."""

from __future__ import annotations

import email.policy
import html
from email.message import EmailMessage

from jobs.core.errors import PermanentError
from notifications.message import Message
from notifications.settings import EmailSettings
from notifications.smtp import SmtpSession

# RFC 5322's hard line limit: CPython's folding at 78 moves a long subject to its own
# continuation line, which clients then show with a leading space
_POLICY = email.policy.default.clone(max_line_length=998)


def render(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    mail = EmailMessage(policy=_POLICY)
    mail["Subject"] = message.headline
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["X-Secops-Source"] = message.source
    if message.dedup_key:
        mail["X-Secops-Dedup-Key"] = message.dedup_key
    fields_text = "".join(f"{k}: {v}\n" for k, v in message.fields.items())
    mail.set_content(f"{message.body}\n\n{fields_text}-- \n{message.source}\n")
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in message.fields.items()
    )
    mail.add_alternative(
        f"<html><body><h2>{html.escape(message.headline)}</h2>"
        f"<pre style='font-family:inherit;white-space:pre-wrap'>{html.escape(message.body)}</pre>"
        f"<table>{rows}</table><p style='color:#888'>{html.escape(message.source)}</p></body></html>",
        subtype="html",
    )
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        mail.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return mail


class EmailNotifier:
    name = "email"
    per_message = False

    def __init__(self, config: EmailSettings) -> None:
        self.config = config

    def send(self, message: Message) -> None:
        cfg = self.config
        recipients = list(message.recipients) or cfg.recipients.get(message.severity, [])  # type: ignore[call-overload]
        if not recipients:
            raise PermanentError(f"email: no recipients for {message.severity} (notifications.email.recipients)")
        with SmtpSession(cfg) as session:  # one connection per digest: alerts are few
            session.send(render(message, cfg.sender, recipients))
