"""One SMTP connection to `notifications.email`'s server, and what its failures mean.

Shared by the alert notifier (a connection per alert digest) and usage-report's mail channel
(one connection for every tenant of a run: 1,000 reports must not be 1,000 TLS handshakes).
The session opens on first use (TCP, STARTTLS or SMTPS, AUTH), is reused for every later mail,
and is opened again when the server dropped it between mails (an idle timeout, a restart).

A dropped connection is only re-tried when nothing of the mail was committed: the drop is
noticed at the transaction's first command (MAIL FROM), which the server answers before any
recipient or byte of the mail is accepted. A drop later in the transaction is a TransientError,
left to the one retry layer above (the runner's, the router's).

Errors are typed as the runner needs them and never carry the password: a refused login or
recipient, a 5xx or a TLS failure is permanent; a 4xx or an unreachable server transient.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from types import TracebackType

from jobs.core.errors import PermanentError, TransientError
from notifications.settings import EmailSettings

#: recipient → (code, server's words) for the recipients a server refused while taking the rest
Refused = dict[str, tuple[int, str]]


class _Stale(smtplib.SMTPServerDisconnected):
    """The server had closed a reused connection before this transaction's first command."""


class _MailProbe(smtplib.SMTP):
    """MAIL FROM tags a disconnect as stale: nothing of the mail was sent yet, so sending it
    again on a new connection cannot deliver it twice."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        try:
            return super().mail(sender, options)
        except smtplib.SMTPServerDisconnected as exc:
            raise _Stale(str(exc)) from None


class _Plain(_MailProbe):
    pass


class _Tls(_MailProbe, smtplib.SMTP_SSL):
    pass


@contextlib.contextmanager
def smtp_errors(config: EmailSettings) -> Iterator[None]:
    """smtplib's and the socket's exceptions as Permanent/TransientError, naming the server,
    the code or the refused recipients, never the password."""
    try:
        yield
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentError(f"email: login refused ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"email: recipients refused: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
        raise kind(f"email: server said {exc.smtp_code}") from None
    except ssl.SSLError as exc:
        raise PermanentError(f"email: TLS with {config.smtp_host} failed: {exc.reason}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(
            f"email: {config.smtp_host}:{config.smtp_port} unreachable: {type(exc).__name__}"
        ) from None


class SmtpSession:
    """A connection opened on first use, reused for each mail, reopened once it was dropped.

    Not thread-safe: one sender at a time (a caller sending from threads holds a lock)."""

    def __init__(self, config: EmailSettings) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        #: connections opened so far (a reconnect counts): what a caller reports, tests assert
        self.connections = 0

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_file)
        if not self.config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.ssl:
            smtp: smtplib.SMTP = _Tls(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds, context=self._tls())
        else:
            smtp = _Plain(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds)
        try:
            if cfg.starttls:
                smtp.starttls(context=self._tls())
            if cfg.username:
                smtp.login(cfg.username, cfg.password.get_secret_value() if cfg.password else "")
        except BaseException:
            smtp.close()
            raise
        self.connections += 1
        return smtp

    def send(self, mail: EmailMessage | bytes, recipients: Sequence[str] | None = None, sender: str = "") -> Refused:
        """Send `mail` (to `recipients`, else its To/Cc/Bcc; a mail already written as bytes
        needs both, from `sender` or the settings' sender); the recipients refused while the
        others were taken. All refused, a 4xx/5xx, a failed login: raised, typed (smtp_errors)."""
        with smtp_errors(self.config):
            reused = self._smtp is not None
            try:
                return self._transaction(mail, recipients, sender)
            except _Stale as exc:
                self.close()
                if not reused:
                    raise smtplib.SMTPServerDisconnected(str(exc)) from None
            return self._transaction(mail, recipients, sender)  # the server dropped a reused connection

    def _transaction(self, mail: EmailMessage | bytes, recipients: Sequence[str] | None, sender: str) -> Refused:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            if isinstance(mail, bytes):
                refused = self._smtp.sendmail(sender or self.config.sender, list(recipients or ()), mail)
            else:
                refused = self._smtp.send_message(mail, to_addrs=list(recipients) if recipients is not None else None)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None  # smtplib closed its socket; the next mail opens a new one
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # "closing the channel": smtplib closed it
                self._smtp = None
            raise
        return {rcpt: (code, answer.decode("utf-8", "replace")) for rcpt, (code, answer) in refused.items()}

    def close(self) -> None:
        """QUIT, politely; a server already gone is no error (the session is over either way)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
