"""The mail channel against a real SMTP server (aiosmtpd, STARTTLS + AUTH): each tenant's PDF
attached intact, one session for the run, refusals reported, no header injected."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jobs.core.errors import PermanentError
from jobs.usage_report.delivery import Deliverer
from jobs.usage_report.delivery.headers import address, addresses
from jobs.usage_report.delivery.mail import compose, message_bytes
from tests import services
from tests.usage_report.delivery.samples import DAY, WEEK, bundle, report, tenant
from tests.usage_report.delivery.settings import run_settings, usage

SENDER = "API platform <reports@platform.test>"


def received(smtp: services.Smtp) -> list[EmailMessage]:
    return [email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp.messages]  # type: ignore[misc]


def attachment(mail: EmailMessage) -> tuple[str | None, bytes]:
    [part] = list(mail.iter_attachments())
    return part.get_filename(), part.get_content()


def text(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def test_each_tenant_s_pdf_arrives_intact_in_its_language_over_one_session(smtp: services.Smtp) -> None:
    bundles = [
        bundle(report(tenant("acme", "Acme", ("ops@acme.test", "cfo@acme.test")))),
        bundle(report(tenant("globex", "Globex SA", ("compta@globex.test",), locale="fr"), WEEK, locale="fr")),
        bundle(report(tenant("initech", "Initech", ("it@initech.test",)))),
    ]
    cfg = usage(email=True, bcc=["archive@platform.test"])
    with Deliverer(run_settings(smtp), cfg) as deliverer:
        where = [deliverer.deliver("email", b) for b in bundles]
    assert [w.where for w in where] == [
        "mailto:ops@acme.test,cfo@acme.test", "mailto:compta@globex.test", "mailto:it@initech.test"
    ]  # fmt: skip
    assert all(w.refused == () for w in where)
    assert (len(smtp.connections), smtp.logins) == (1, [(smtp.username, True)])
    assert [m.rcpt_tos for m in smtp.messages] == [
        ["ops@acme.test", "cfo@acme.test", "archive@platform.test"],
        ["compta@globex.test", "archive@platform.test"],
        ["it@initech.test", "archive@platform.test"],
    ]
    acme, globex, _ = received(smtp)
    assert attachment(acme) == ("acme-2026-11-30.pdf", bundles[0].pdf)
    assert attachment(globex) == ("globex-2026-W48.pdf", bundles[1].pdf)
    assert acme["Subject"] == "Acme: API usage report, 30 November 2026"
    assert (
        globex["Subject"]
        == "Globex SA\u00a0: rapport d\u2019utilisation des API, Semaine 48, du 23 au 29 novembre 2026"
    )
    assert (acme["From"], acme["To"], acme["Bcc"]) == (SENDER, "ops@acme.test, cfo@acme.test", None)
    assert acme["Date"] == "Tue, 01 Dec 2026 00:00:00 +0000" and acme["Message-ID"].endswith("@platform.test>")
    assert "Calls: 123,456 (▲ 23.5%)" in text(acme) and "Used month to date: 240.0%" in text(acme)
    assert text(globex).startswith("Bonjour,\n")
    assert "  Appels\u00a0: 123\u202f456 (▲\u00a023,5\u202f%)\n" in text(globex)


@pytest.mark.parametrize("pdf", [b"", b"%", bytes(range(256)) * 400])
def test_the_fast_writer_gives_the_email_package_s_bytes_with_crlf_line_ends(pdf: bytes) -> None:
    made = bundle(report(tenant(name="==the-pdf-report==")), pdf)  # a name spelled as the hole
    fast = message_bytes(made, SENDER, ["ops@acme.test"])
    assert fast == compose(made, SENDER, ["ops@acme.test"]).as_bytes()
    assert b"\n" not in fast.replace(b"\r\n", b"") and max(map(len, fast.split(b"\r\n"))) <= 78
    [part] = email.message_from_bytes(fast, policy=email.policy.default).iter_attachments()  # type: ignore[attr-defined]
    assert part.get_content() == pdf


def test_the_same_report_makes_the_same_mail_bytes() -> None:
    one = compose(bundle(), SENDER, ["ops@acme.test"]).as_bytes()
    assert one == compose(bundle(), SENDER, ["ops@acme.test"]).as_bytes()
    assert one != compose(bundle(report(period=WEEK)), SENDER, ["ops@acme.test"]).as_bytes()


def test_a_refused_contact_is_reported_and_the_others_get_the_report(smtp: services.Smtp) -> None:
    smtp.refuse_rcpt = {"gone@acme.test"}
    contacts = ("gone@acme.test", "not an address", "a@b.test, c@d.test", "ops@acme.test", "OPS@acme.test")
    with Deliverer(run_settings(smtp), usage(email=True)) as deliverer:
        done = deliverer.deliver("email", bundle(report(tenant(contacts=contacts))))
    assert done.where == "mailto:ops@acme.test"
    assert done.refused == (
        "'not an address': not an e-mail address",
        "'a@b.test, c@d.test': not an e-mail address",
        "gone@acme.test: refused by the server: 550 5.1.1 mailbox unavailable",
    )
    assert [m.rcpt_tos for m in smtp.messages] == [["ops@acme.test"]]
    assert received(smtp)[0]["To"] == "gone@acme.test, ops@acme.test"


def test_every_contact_refused_is_permanent_names_them_and_never_the_password(smtp: services.Smtp) -> None:
    smtp.refuse_rcpt = {"gone@acme.test"}
    with Deliverer(run_settings(smtp), usage(email=True, bcc=["archive@platform.test"])) as deliverer:
        with pytest.raises(PermanentError, match=r"every contact of tenant 'acme' was refused: gone@acme\.test") as e:
            deliverer.deliver("email", bundle(report(tenant(contacts=("gone@acme.test",)))))
        with pytest.raises(PermanentError, match=r"no valid contact address \('x\\n': not an e-mail address"):
            deliverer.deliver("email", bundle(report(tenant(contacts=("x\n",)))))
        deliverer.deliver("email", bundle())  # the session goes on for the next tenant
    assert smtp.password not in str(e.value)
    assert [m.rcpt_tos for m in smtp.messages] == [
        ["archive@platform.test"],
        ["ops@acme.test", "archive@platform.test"],
    ]


def test_a_connection_dropped_between_tenants_is_reopened_and_nobody_is_mailed_twice(smtp: services.Smtp) -> None:
    tenants = [tenant(f"t{i}", f"Tenant {i}", (f"ops@t{i}.test",)) for i in range(4)]
    with Deliverer(run_settings(smtp), usage(email=True)) as deliverer:
        for i, owner in enumerate(tenants):
            if i == 2:
                smtp.drop()  # the server's idle timeout, or a restart
            deliverer.deliver("email", bundle(report(owner)))
    assert [m.rcpt_tos for m in smtp.messages] == [[f"ops@t{i}.test"] for i in range(4)]
    assert len(smtp.connections) == 2


def test_without_an_smtp_server_the_mail_channel_says_which_setting(smtp: services.Smtp) -> None:
    with (
        Deliverer(run_settings(), usage(email=True)) as deliverer,
        pytest.raises(PermanentError, match=r"notifications\.email is not set"),
    ):
        deliverer.deliver("email", bundle())


# -- header injection: names and addresses come from the control plane ---------------------------
BREAKS = st.sampled_from(["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x00", "\t", "\x0b", "\x1c", " "])
SNEAKY = st.lists(st.one_of(BREAKS, st.sampled_from(["Bcc: evil@x.test", "Subject: hi", "a@b.test", ",", "<", ">", "é"]), st.text(max_size=5)), max_size=8).map("".join)  # fmt: skip
HEADERS = ["Subject", "From", "To", "Date", "Message-ID", "X-Secops-Source", "MIME-Version", "Content-Type"]


@given(SNEAKY, st.lists(SNEAKY, max_size=3), st.sampled_from(["en", "fr"]))
@example("Acme\r\nBcc: evil@x.test", ["ops@acme.test\r\nBcc: evil@x.test", "ops@acme.test"], "en")
@example("Acme\nX-Injected: 1", ["a@b.test, evil@x.test"], "fr")
@example("\u2028Bcc: evil@x.test", ["ops@acme.test"], "en")
def test_no_tenant_name_or_contact_adds_a_header_or_a_recipient(name: str, contacts: list[str], lang: str) -> None:
    valid, _ = addresses(contacts)
    to = valid or ["fallback@acme.test"]
    made = compose(bundle(report(tenant("acme", name, tuple(contacts), locale=lang), DAY, locale=lang)), SENDER, to)
    parsed = email.message_from_bytes(made.as_bytes(), policy=email.policy.default)
    assert [k for k, _ in parsed.items()] == HEADERS
    assert [a for _, a in getaddresses([str(parsed["To"])])] == to
    assert all(a.isascii() and a.count("@") == 1 and " " not in a for a in to) and len(valid) <= len(contacts)
    assert "\n" not in str(parsed["Subject"]) and "Bcc" not in [k for k, _ in parsed.items()]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ops@acme.test", "ops@acme.test"),
        ("  first.last+tag@acme.test ", "first.last+tag@acme.test"),
        ("compta@société.fr", "compta@xn--socit-esab.fr"),  # an accented domain: punycode
        ("josé@acme.test", None),  # an accented mailbox needs SMTPUTF8
        ('"a@b"@acme.test', None),
        ("Ops <ops@acme.test>", None),
        ("a@b.test, c@d.test", None),
        ("ops@acme.test\r\nBcc: evil@x.test", None),
        ("ops", None),
        ("", None),
    ],
)
def test_a_contact_is_one_plain_address_or_refused(raw: str, expected: str | None) -> None:
    assert address(raw) == expected


def test_tenants_delivered_from_several_threads_share_the_one_session_in_turn(smtp: services.Smtp) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tenants = [tenant(f"t{i}", f"Tenant {i}", (f"ops@t{i}.test",)) for i in range(12)]
    with Deliverer(run_settings(smtp), usage(email=True)) as deliverer, ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda owner: deliverer.deliver("email", bundle(report(owner))), tenants))
    assert [d.where for d in done] == [f"mailto:ops@t{i}.test" for i in range(12)]
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(f"ops@t{i}.test" for i in range(12))
    assert len(smtp.connections) == 1
