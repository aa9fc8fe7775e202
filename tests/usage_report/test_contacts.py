"""contact_email → the addresses a report is mailed to: tables and a property over whatever
people type (commas, spaces, duplicates, case variants, empty, non-ASCII, huge lists)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from jobs.usage_report.contacts import MAX_CONTACTS, normalise_address, parse_contacts


@pytest.mark.parametrize(
    ("raw", "addresses", "problems"),
    [
        ("ops@acme.example", ("ops@acme.example",), ()),
        (
            " ops@acme.example ,Finance@ACME.Example;; ops@Acme.example,",
            ("ops@acme.example", "Finance@acme.example"),
            (),
        ),
        (
            "élodie@exemple.fr",
            (),
            (
                "contact_email: 'élodie@exemple.fr' has non-ASCII characters before the @ (needs SMTPUTF8, which is not assumed): not mailed",
                "contact_email has no usable address: the report cannot be mailed",
            ),
        ),
        ("contact@société.example", ("contact@xn--socit-esab.example",), ()),
        (
            "Ann <ann@acme.example>",
            (),
            (
                "contact_email: 'Ann <ann@acme.example>' contains a space (one address per comma): not mailed",
                "contact_email has no usable address: the report cannot be mailed",
            ),
        ),
        (
            "ann@acme",
            (),
            (
                "contact_email: 'ann@acme' has a domain that is not a host name (e.g. example.com): not mailed",
                "contact_email has no usable address: the report cannot be mailed",
            ),
        ),
        (
            "a\nb@acme.example, ok@acme.example",
            ("ok@acme.example",),
            ("contact_email: 'a\\nb@acme.example' contains a space (one address per comma): not mailed",),
        ),
        ("", (), ("contact_email is empty: the report cannot be mailed",)),
        (None, (), ("contact_email is empty: the report cannot be mailed",)),
        (" , ,", (), ("contact_email has no usable address: the report cannot be mailed",)),
        (42, (), ("contact_email is a int, not text: the report cannot be mailed",)),
    ],
)
def test_contact_email_is_split_checked_and_each_bad_entry_named(
    raw: object, addresses: tuple[str, ...], problems: tuple[str, ...]
) -> None:
    parsed = parse_contacts(raw)
    assert parsed.addresses == addresses
    assert parsed.problems == problems


def test_a_huge_list_is_cut_to_the_first_fifty_and_says_so() -> None:
    raw = ",".join(f"user{i}@acme.example" for i in range(120))
    parsed = parse_contacts(raw)
    assert parsed.addresses == tuple(f"user{i}@acme.example" for i in range(MAX_CONTACTS))
    assert parsed.problems == (
        "contact_email lists 120 addresses: only the first 50 are mailed (the rest from 'user50@acme.example' on)",
    )


@pytest.mark.parametrize(
    "entry",
    [
        ".a@x.example",
        "a.@x.example",
        "a..b@x.example",
        "a@-x.example",
        "a@x..example",
        "a@x.123",
        "a@[127.0.0.1]",
        "@x.example",
        "a@",
        '"a b"@x.example',
        "a" * 65 + "@x.example",
        "a@" + "x" * 64 + ".example",
    ],
)
def test_what_is_not_a_bare_address_is_refused(entry: str) -> None:
    assert normalise_address(entry)[0] is None


# -- the property ------------------------------------------------------------------------------
atext = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
atom = st.text(atext, min_size=1, max_size=8)
local = st.lists(atom, min_size=1, max_size=3).map(".".join)
alnum = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), min_size=1, max_size=6
)
label = st.one_of(alnum, st.builds(lambda a, b: f"{a}-{b}", alnum, alnum))  # (from_regex: slow to shrink)
unicode_label = st.sampled_from(["société", "exämple", "müller", "café", "bücher"])
domain = st.tuples(
    st.lists(st.one_of(label, unicode_label), min_size=1, max_size=2), st.sampled_from(["example", "fr", "COM", "Org"])
).map(lambda parts: ".".join([*parts[0], parts[1]]))
valid = st.builds(lambda lo, do: f"{lo}@{do}", local, domain)
invalid = st.one_of(
    st.builds(lambda lo, do: f"{lo}@@{do}", local, domain),
    st.builds(lambda lo, do: f"{lo} x@{do}", local, domain),
    st.builds(lambda lo, do: f"Name <{lo}@{do}>", local, domain),
    st.builds(lambda do: f"élodie@{do}", domain),
    st.builds(lambda lo: f"{lo}@localhost", local),
    local,  # no @ at all
)
padding = st.sampled_from(["", " ", "  ", "\t", "\u00a0", " \t "])


def case_variant(address: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(address), max_size=len(address))
    return flips.map(lambda fl: "".join(ch.swapcase() if f else ch for ch, f in zip(address, fl, strict=True)))


@st.composite
def contact_columns(draw: st.DrawFn) -> tuple[str, list[tuple[str, bool]]]:
    """A contact_email text and what it holds: (entry as generated, whether it is valid).
    One list draw (not a loop of draws), so a failure shrinks to a short example quickly."""
    pool = draw(st.lists(valid, min_size=1, max_size=6))
    entry = st.one_of(
        st.sampled_from(pool).map(lambda a: (a, True)),  # duplicates
        st.sampled_from(pool).flatmap(case_variant).map(lambda a: (a, True)),  # case variants
        valid.map(lambda a: (a, True)),
        invalid.map(lambda a: (a, False)),
        st.just(("", True)),  # an empty entry between two commas
    )
    items = draw(st.lists(st.tuples(entry, padding, padding, st.sampled_from([",", ";", ", "])), max_size=60))
    raw = "".join(f"{left}{text}{right}{sep}" for (text, _), left, right, sep in items)
    return raw, [e for e, *_ in items]


def expected_form(address: str) -> str:
    local_part, domain_part = address.split("@")
    return f"{local_part}@{domain_part.encode('idna').decode().lower()}"


# no explain phase: on a failure it re-runs variations of the example for minutes
@settings(max_examples=100, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
@given(column=contact_columns())
def test_every_valid_address_is_mailed_once_and_every_bad_one_is_named(
    column: tuple[str, list[tuple[str, bool]]],
) -> None:
    raw, entries = column
    parsed = parse_contacts(raw)
    wanted: dict[str, str] = {}
    for entry, ok in entries:
        if entry and ok:
            wanted.setdefault(expected_form(entry).casefold(), expected_form(entry))
    # every valid address once, in first-seen order and first spelling, up to the cap
    # (a flag, not `assert a == b`: pytest's diff of two long lists costs seconds per shrink step)
    in_order = list(parsed.addresses) == list(wanted.values())[:MAX_CONTACTS]
    assert in_order, (parsed.addresses, list(wanted.values()))
    assert len({a.casefold() for a in parsed.addresses}) == len(parsed.addresses)
    for address in parsed.addresses:
        assert address.isascii() and address.count("@") == 1
        assert not any(ch.isspace() or ch in ",;" for ch in address)
    # every bad entry named, none mailed
    for entry, ok in entries:
        if entry and not ok:
            assert any(repr(entry)[:60] in p for p in parsed.problems), (entry, parsed.problems)
            assert entry not in parsed.addresses
    if len(wanted) > MAX_CONTACTS:
        assert any(f"lists {len(wanted)} addresses" in p for p in parsed.problems)
    if not wanted:
        assert parsed.problems[-1].endswith("the report cannot be mailed")
