"""E-mail over SMTP: STARTTLS or SMTPS, optional auth, text + HTML, attachments."""

from __future__ import annotations

import email.policy
import html
import smtplib
import ssl
from email.message import EmailMessage

from jobs.core.errors import PermanentError, TransientError
from notifications.message import Message
from notifications.settings import EmailSettings

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

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_file)
        if not self.config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def send(self, message: Message) -> None:
        cfg = self.config
        recipients = list(message.recipients) or cfg.recipients.get(message.severity, [])  # type: ignore[call-overload]
        if not recipients:
            raise PermanentError(f"email: no recipients for {message.severity} (notifications.email.recipients)")
        mail = render(message, cfg.sender, recipients)
        try:
            if cfg.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds)
            with smtp:
                if cfg.starttls:
                    smtp.starttls(context=self._tls())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password.get_secret_value() if cfg.password else "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"email: login refused ({exc.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"email: recipients refused: {', '.join(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
            raise kind(f"email: server said {exc.smtp_code}") from None
        except ssl.SSLError as exc:
            raise PermanentError(f"email: TLS with {cfg.smtp_host} failed: {exc.reason}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"email: {cfg.smtp_host}:{cfg.smtp_port} unreachable: {type(exc).__name__}") from None
