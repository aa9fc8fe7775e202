"""The SMTP session shared by the alert notifier and usage-report's mail: one connection for
many mails, reopened when the server dropped it, partial refusals reported (real aiosmtpd with
STARTTLS and AUTH)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from jobs.core.errors import PermanentError, TransientError
from notifications.smtp import SmtpSession
from tests import services
from tests.test_notifications import email_settings


def mail(n: int, to: str = "a@example.test") -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = f"mail {n}", "secops@example.test", to
    message.set_content(f"body {n}\n")
    return message


def subjects(smtp: services.Smtp) -> list[str]:
    return [email.message_from_bytes(m.content, policy=email.policy.default)["Subject"] for m in smtp.messages]


def test_many_mails_go_over_one_connection_and_one_login(smtp: services.Smtp) -> None:
    with SmtpSession(email_settings(smtp)) as session:
        for n in range(5):
            assert session.send(mail(n)) == {}
    assert subjects(smtp) == [f"mail {n}" for n in range(5)]
    assert (len(smtp.connections), smtp.logins, session.connections) == (1, [(smtp.username, True)], 1)


def test_a_connection_the_server_dropped_is_reopened_and_no_mail_is_lost_or_doubled(smtp: services.Smtp) -> None:
    with SmtpSession(email_settings(smtp)) as session:
        session.send(mail(1))
        session.send(mail(2))
        smtp.drop()  # an idle timeout between two tenants
        session.send(mail(3))
        session.send(mail(4))
    assert subjects(smtp) == ["mail 1", "mail 2", "mail 3", "mail 4"]
    assert (len(smtp.connections), session.connections) == (2, 2)


def test_one_recipient_refused_the_others_get_the_mail_and_the_refusal_is_returned(smtp: services.Smtp) -> None:
    smtp.refuse_rcpt = {"gone@example.test"}
    with SmtpSession(email_settings(smtp)) as session:
        refused = session.send(mail(1), ["gone@example.test", "ops@example.test"])
    assert refused == {"gone@example.test": (550, "5.1.1 mailbox unavailable")}
    assert [m.rcpt_tos for m in smtp.messages] == [["ops@example.test"]]


def test_every_recipient_refused_is_permanent_and_names_them_and_the_session_goes_on(smtp: services.Smtp) -> None:
    smtp.refuse_rcpt = {"gone@example.test"}
    with SmtpSession(email_settings(smtp)) as session:
        with pytest.raises(PermanentError, match=r"recipients refused: gone@example\.test") as raised:
            session.send(mail(1, "gone@example.test"))
        session.send(mail(2))
    assert smtp.password not in str(raised.value)
    assert (subjects(smtp), len(smtp.connections)) == (["mail 2"], 1)


def test_a_busy_server_is_transient_and_the_next_mail_opens_a_new_connection(smtp: services.Smtp) -> None:
    """421 closes the channel (RFC 5321 3.8): the session knows it is gone, and does not count
    it as a drop to retry (nothing is sent twice by the session; the caller retries)."""
    smtp.refuse = 1
    with SmtpSession(email_settings(smtp)) as session:
        with pytest.raises(TransientError, match="server said 421"):
            session.send(mail(1))
        session.send(mail(1))
    assert (subjects(smtp), len(smtp.connections), session.connections) == (["mail 1"], 2, 2)


def test_a_server_that_is_gone_is_transient_once_not_a_reconnect_loop(smtp: services.Smtp) -> None:
    settings = email_settings(smtp, smtp_port=services.free_port(), timeout_seconds=2)
    with SmtpSession(settings) as session, pytest.raises(TransientError, match="unreachable: ConnectionRefusedError"):
        session.send(mail(1))
    assert session.connections == 0
