"""Properties of the links: any change to any field or byte of a valid link is a 4xx through the
real handler and extends nothing; only keys of 32 bytes load, and the mail and the route agree
on when links exist (one predicate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from jobs.core.http_route import Refused
from jobs.core.settings import GENERATE_SECRET
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.settings import SnoozeSettings
from tests.ttl_teardown.fleet import OWNER
from tests.ttl_teardown.snooze_site import KEY, Site, call, query_of, url_event

FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def variants(value: str) -> list[str]:
    """What a forger or a mangling mail client makes of a field: case, spaces, signs, zeros,
    other digits, cut, doubled, emptied, huge."""
    return [
        value.upper(),
        value.lower(),
        f" {value}",
        f"{value} ",
        f"{value}\n",
        f"0{value}",
        f"+{value}",
        value.translate(FULL_WIDTH),
        value[:-1],
        value + value[-1:],
        "",
        value * 50,
        value + "\u0000",
        value.replace("-", "\u2010"),
    ]


@st.composite
def mutated(draw: st.DrawFn, query: str) -> str:
    """A valid link's query with one field changed, dropped, doubled or added, or bytes of it
    flipped, cut or inserted."""
    fields = list(parse_qsl(query))
    how = draw(st.sampled_from(["value", "drop", "double", "add", "flip", "cut", "insert"]))
    if how in ("value", "drop", "double"):
        at = draw(st.integers(0, len(fields) - 1))
        name, value = fields[at]
        if how == "value":
            new = draw(st.one_of(st.sampled_from(variants(value)), st.text(max_size=40)))
            fields[at] = (name, new)
        elif how == "drop":
            del fields[at]
        else:
            fields.insert(at, (name, draw(st.sampled_from([value, *variants(value)]))))
        return urlencode(fields)
    if how == "add":
        return query + "&" + urlencode([(draw(st.text(min_size=1, max_size=3)), draw(st.text(max_size=5)))])
    raw = query.encode()
    at = draw(st.integers(0, len(raw) - 1))
    if how == "flip":
        raw = raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    elif how == "cut":
        raw = raw[:at] + raw[at + draw(st.integers(1, 8)) :]
    else:
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    return raw.decode("latin-1")


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_a_valid_link_is_a_4xx_and_extends_nothing(
    data: st.DataObject, fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(fleet, monkeypatch)
    query = query_of(site.link())
    changed = data.draw(mutated(query))
    same = parse_qsl(changed, keep_blank_values=True, errors="replace") == parse_qsl(query)
    assume(not same)  # another spelling of the same six fields (`%3A` for `:`) is the same link
    for event in (url_event("GET", changed), url_event("POST", body=changed, b64=data.draw(st.booleans()))):
        status = call(event)["statusCode"]
        assert 400 <= status < 500, (changed, status)
    assert site.rows() == []


# -- signing: a version, canonical ASCII only ----------------------------------------------------------
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RAW_KEY = KEY.encode()


def signed_fields() -> dict[str, str]:
    return dict(parse_qsl(query_of(snooze.link("https://x.test", RAW_KEY, "arn:1", OWNER, 7, NOW, 72))))


def test_a_link_is_versioned_and_verifies_only_as_signed_and_in_time() -> None:
    fields = signed_fields()
    assert list(fields) == list(snooze.FIELDS) and fields["v"] == snooze.VERSION
    link = snooze.verify(fields, RAW_KEY, NOW)
    assert (link.resource, link.owner, link.days, link.fields()) == ("arn:1", OWNER, 7, fields)
    for bad, status in [
        ({**fields, "d": "14"}, 403),
        ({**fields, "d": "07"}, 400),
        ({**fields, "d": "\uff17"}, 400),
        ({**fields, "v": "2"}, 400),
        ({k: v for k, v in fields.items() if k != "v"}, 400),
    ]:
        with pytest.raises(Refused) as refused:
            snooze.verify(bad, RAW_KEY, NOW)
        assert refused.value.status == status, bad
    with pytest.raises(Refused, match="not valid"):
        snooze.verify(fields, b"another key of thirty-two bytes or more", NOW)
    with pytest.raises(Refused, match="expired") as late:
        snooze.verify(fields, RAW_KEY, NOW + timedelta(hours=72, seconds=1))
    assert late.value.status == 410


@given(st.text(max_size=40))
@example("7")
@example("07")
@example("+7")
@example(" 7")
@example("\uff17")
@example("\u0667")
def test_only_canonical_ascii_days_verify(days: str) -> None:
    """A forger who could sign any text (the key is theirs here) still gets only `7` read as 7."""
    fields = signed_fields()
    expires = int(fields["e"])
    try:
        number = int(days)
    except ValueError:
        number = 7
    forged = {**fields, "d": days, "s": snooze._signature(RAW_KEY, "arn:1", OWNER, number, expires)}
    try:
        link = snooze.verify(forged, RAW_KEY, NOW)
    except Refused as refused:
        assert refused.status in (400, 403)
        return
    assert days == str(link.days) and days.isascii()


# -- (1) keys: 32 bytes, and one predicate for the mail and the route ---------------------------------
@given(st.one_of(st.text(max_size=60), st.sampled_from(["", " " * 40, "\n", "k" * 31, "k" * 32, "é" * 16])))
def test_a_key_loads_only_with_32_bytes_and_the_mail_and_the_route_agree(key: str) -> None:
    strong = len(key.strip().encode()) >= 32
    try:
        cfg = SnoozeSettings.model_validate({"hmac_key": key, "base_url": "https://x.test"})
        loaded = True
    except ValidationError as exc:
        loaded = False
        [error] = exc.errors()  # settings.describe shows its msg, never pydantic's input: the same whatever the key
        assert error["msg"] == f"Value error, must be at least 32 bytes (generate one: {GENERATE_SECRET})"
    assert loaded == strong
    if loaded:
        assert snooze.signing_key(cfg) == key.encode()
    unchecked = SnoozeSettings.model_construct(hmac_key=SecretStr(key), base_url="https://x.test")
    assert (snooze.signing_key(unchecked) is not None) == strong  # the predicate itself, past validation
