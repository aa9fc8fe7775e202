"""The report mailed to the tenant's contacts, through `notifications.email`'s server.

One SmtpSession (notifications/smtp.py, shared with the alert notifier) for the whole run:
opened at the first tenant, reused for every other, reopened if the server dropped it. The
mail is the PDF attached as `<tenant>-<period label>.pdf` and a short text body with the key
figures, in the tenant's language (locale.py), so it is readable without opening the PDF.

Headers are deterministic for a tenant and period: `Date` is the period's end (the instant the
report's figures stop, which the PDF also states), `Message-ID` a hash of tenant and period, so
the same report gives the same bytes and a resend is recognised as the same message.

Everything from the control plane is untrusted in a header: the tenant's name is made one line
(no CR, LF or other line break can start a header of its own), each contact must be one valid
address (`a@b, c@d` or one with a line break is refused, never split or passed on), and the Bcc
archive is in the envelope only, never a header. A contact refused (malformed, or 550 at RCPT)
while others took the mail is reported on `Delivered.refused`; all of them refused is a
PermanentError naming them. Never the SMTP password: only the server's code is quoted.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import threading
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jobs.core.errors import PermanentError
from jobs.core.settings import Settings
from jobs.usage_report import locale
from jobs.usage_report.delivery.base import Delivered
from jobs.usage_report.delivery.headers import addresses, domain, one_line
from jobs.usage_report.delivery.paths import segment
from jobs.usage_report.model import Bundle, TenantReport
from jobs.usage_report.settings import UsageReportSettings
from notifications.settings import EmailSettings
from notifications.smtp import SmtpSession

#: the figures the mail's body lists (the PDF has them all)
MAIL_KPIS = ("calls", "failed", "error_rate", "mb_total", "latency_avg", "latency_p95")
# headers: RFC 5322's hard line limit, as the notifier's (no folding a long subject onto a new
# line); the parts: MIME's 76-character base64 lines (RFC 2045), which a 998 policy would stretch
# (and SMTP's CRLF line ends: a mail written as bytes goes to the server as it is)
_POLICY = email.policy.default.clone(max_line_length=998, linesep="\r\n")
_PARTS = email.policy.default
#: the PDF's payload while the rest of the mail is written (message_bytes)
_HOLE = "==the-pdf-report==\n"
_BASE64_LINE = 76  # what the email package writes (57 bytes a line)


def body(report: TenantReport, words: locale.Locale) -> str:
    """The mail's text: a greeting, what is attached, the key figures, what the report notes."""
    name = words.display_name(report.tenant.name)
    lines = [
        words.label("mail_greeting"),
        "",
        words.text("mail_intro", tenant=name, period=words.period(report.period)),
    ]
    lines += ["", words.label("mail_key_figures")]
    for kpi_name in MAIL_KPIS:
        if (kpi := report.kpis.get(kpi_name)) is not None:
            shown = f"{words.kpi(kpi_name, kpi.value)} ({words.change(kpi)})"
            lines.append("  " + words.text("label_value", label=words.label(kpi_name), value=shown))
    if report.quota is not None and report.quota.month_used_percent is not None:
        used, monthly = words.percent(report.quota.month_used_percent), words.number(report.quota.monthly)
        shown = f"{used} ({words.label('quota_monthly')} {monthly})"
        lines.append("  " + words.text("label_value", label=words.label("quota_month_used"), value=shown))
    if report.notes:
        lines += ["", words.label("mail_notes"), *(f"  - {words.note(note)}" for note in report.notes)]
    lines += ["", words.label("mail_closing"), "", "-- ", words.label("mail_signature")]
    return "\n".join(lines) + "\n"


def _digest(report: TenantReport) -> str:
    key = f"{report.tenant.id}\0{report.period.kind}\0{report.period.label}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def message_id(report: TenantReport, sender: str) -> str:
    return f"<usage-report.{_digest(report)}@{domain(sender)}>"


def compose(bundle: Bundle, sender: str, to: Sequence[str], hole: bool = False) -> EmailMessage:
    """The mail of one tenant's report to `to` (valid addresses already); with `hole`, the
    PDF's base64 is a placeholder that `message_bytes` fills."""
    report = bundle.report
    words = locale.get(report.locale)
    mail = EmailMessage(policy=_POLICY)
    mail["Subject"] = one_line(words.subject(report.tenant.name, report.period))
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(report.period.end)
    mail["Message-ID"] = message_id(report, sender)
    mail["X-Secops-Source"] = "usage-report"
    mail["MIME-Version"] = "1.0"
    mail.make_mixed()
    # fixed, so the bytes are; with "=", which quoted-printable text and base64 never hold
    mail.set_boundary(f"=={_digest(report)}==")
    text, attached = EmailMessage(policy=_PARTS), EmailMessage(policy=_PARTS)
    text.set_content(body(report, words), cte="quoted-printable")
    filename = f"{segment(report.tenant.id)}-{report.period.label}.pdf"
    pdf = b"" if hole else bundle.pdf
    attached.set_content(pdf, maintype="application", subtype="pdf", disposition="attachment", filename=filename)
    if hole:
        attached.set_payload(_HOLE)
    for part in (text, attached):
        del part["MIME-Version"]  # the message's, not each part's
        mail.attach(part)
    return mail


def message_bytes(bundle: Bundle, sender: str, to: Sequence[str]) -> bytes:
    """`compose(...).as_bytes()`, byte for byte, but the PDF's base64 is not written by the
    email package, line by line in Python (over half the time of a 100 kB report's mail,
    measured here: 26 ms the whole mail, 12 ms this way), but by base64 in C, cut in the same
    76-character lines. The hole is the last part's whole payload: what a tenant's name puts
    in the text part (quoted-printable, which never holds a literal `=`) cannot be it."""
    hole = _HOLE.replace("\n", "\r\n").encode("ascii")
    head, found, tail = compose(bundle, sender, to, hole=True).as_bytes().rpartition(hole)
    if not found:  # the email package wrote the payload in a way of its own: write it its way
        return compose(bundle, sender, to).as_bytes()
    encoded = base64.b64encode(bundle.pdf)
    lines = [encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)]
    return head + b"".join(line + b"\r\n" for line in lines) + tail


class MailChannel:
    """Mails each tenant's report on one SMTP session held for the run."""

    def __init__(self, settings: Settings, cfg: UsageReportSettings, client: Any = None) -> None:
        server: EmailSettings | None = settings.notifications.email
        if server is None:
            raise PermanentError("usage_report.delivery.email: notifications.email is not set (no SMTP server)")
        self.sender = server.sender
        self.bcc = tuple(cfg.delivery.bcc)
        self.session: SmtpSession = client if client is not None else SmtpSession(server)
        self._lock = threading.Lock()  # one transaction at a time on the one connection

    def deliver(self, bundle: Bundle) -> Delivered:
        tenant = bundle.report.tenant
        valid, malformed = addresses(tenant.contacts)
        refused = [f"{raw[:200]!r}: not an e-mail address" for raw in malformed]
        if not valid:
            shown = "; ".join(refused) or "no contacts"
            raise PermanentError(f"email: tenant {tenant.id!r} has no valid contact address ({shown})")
        archive = [a for a in addresses(self.bcc)[0] if a.lower() not in {v.lower() for v in valid}]
        with self._lock:
            mail = message_bytes(bundle, self.sender, valid)
            rejected = self.session.send(mail, [*valid, *archive], self.sender)
        refused += [
            f"{rcpt}: refused by the server: {code} {one_line(text)[:200]}" for rcpt, (code, text) in rejected.items()
        ]
        taken = [a for a in valid if a not in rejected]
        if not taken:
            raise PermanentError(f"email: every contact of tenant {tenant.id!r} was refused: {'; '.join(refused)}")
        return Delivered("mailto:" + ",".join(taken), tuple(refused))

    def close(self) -> None:
        self.session.close()
