"""Properties of the engine: a planted secret is found on its line whatever surrounds it; no raw
secret reaches a Hit; no input makes a scan super-linear."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.scanners.secrets.engine import Engine
from jobs.repo_scanner.scanners.secrets.match import hit_from_match
from jobs.repo_scanner.settings import SecretsScannerSettings
from tests.repo_scanner.secrets import samples

ENGINE = Engine.load(SecretsScannerSettings())


def _url_password(rng: random.Random) -> str:
    return samples.db_url(rng)[0]


#: rule → (value maker, the secret it reports, key names it is written under)
PLANTS: dict[str, tuple[Callable[[random.Random], str], tuple[str, ...]]] = {
    **{rule: (make, ("credential", "value", "x")) for rule, make in samples.SECRET_FORMATS.items()},
    "aws-secret-access-key": (samples.aws_secret, ("aws_secret_access_key", "secret_key", "SecretAccessKey")),
    "generic-password": (samples.password, ("password", "db_passwd", "Admin_Password", "pwd")),
    "generic-api-key": (samples.api_key, ("api_key", "apikey", "client-secret", "access_token", "Secret")),
    "connection-string-password": (_url_password, ("database_url", "dsn", "broker")),
}

# noise lines: any text without a newline, non-ASCII and control characters included
noise = st.lists(
    st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=60), max_size=6
)
separators = st.sampled_from([" = ", "=", ": ", ":", "\t=\t", " := ", " => "])
quotes = st.sampled_from(["", '"', "'"])


def case_variant(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(name, flips, strict=True))


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, str, str, int]:
    """(rule, secret, text, line): a secret written under a case variant of a key name, between
    lines of arbitrary text."""
    rule = draw(st.sampled_from(sorted(PLANTS)))
    make, keys = PLANTS[rule]
    value = make(random.Random(draw(st.integers(0, 2**32))))
    secret = value.split(":", 2)[2].split("@")[0] if rule == "connection-string-password" else value
    key = case_variant(draw, draw(st.sampled_from(keys)))
    quote = draw(quotes)
    line = f"{draw(st.sampled_from(['', '  ', chr(9), 'export ']))}{key}{quote}{draw(separators)}{quote}{value}{quote}"
    before, after = draw(noise), draw(noise)
    text = "\n".join([*before, line, *after]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    return rule, secret, text, len(before) + 1


@settings(max_examples=300)
@given(planted())
def test_a_planted_secret_is_found_on_its_line(case: tuple[str, str, str, int]) -> None:
    rule, secret, text, line = case
    matches = ENGINE.scan_text("any/file.txt", text)
    assert (rule, line, secret) in [(m.rule.removesuffix("-config"), m.line, m.secret) for m in matches]


@settings(max_examples=200)
@given(planted(), st.text(max_size=20))
def test_no_raw_secret_in_any_hit_field_repr_or_str(case: tuple[str, str, str, int], commit: str) -> None:
    _, secret, text, _ = case
    fingerprints = Fingerprinter(b"k")
    for match in ENGINE.scan_text("src/app.cfg", text):
        assert match.secret not in repr(match) and match.secret not in str(match)
        hit = hit_from_match(match, "src/app.cfg", fingerprints, commit=commit or None)
        shown = [repr(hit), str(hit), *(str(v) for v in vars(hit).values())]
        assert not any(raw in field for field in shown for raw in (match.secret, secret)), match.rule


PATHOLOGICAL = {
    "keywords without values": "password= token: api_key= secret=" * 1,
    "unterminated private keys": "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 100,
    "key prefixes": "AKIA ghp_ glpat- xoxb- hvs. sk_live_ AIza npm_ eyJ.eyJ. ",
    "url starts": "postgres://u: mongodb+srv://a:b redis://:",
    "long assignments": "password = " + "a1" * 300 + " ",
    "one long line": "x" * 1000,
}


def _seconds(text: str) -> float:
    """CPU seconds of this process: the other jobs on a shared machine do not count."""
    started = time.process_time()
    ENGINE.scan_text("f.txt", text)
    return time.process_time() - started


def test_no_input_makes_a_scan_super_linear() -> None:
    """1 MB of each pathological pattern scans within a generous factor of 1 MB of prose (a
    candidate costs Python tens of microseconds: a file made of nothing else is slow, never
    slower than its size says), and within twice 4 x the time of its first 256 KB (linear: a
    quadratic step would take 16 x)."""
    size = 1 << 20
    prose = ("The quick brown fox jumps over the lazy dog; nothing secret here.\n" * (size // 66))[:size]
    baseline = min(_seconds(prose) for _ in range(3))
    for name, unit in PATHOLOGICAL.items():
        text = (unit * (size // len(unit) + 1))[:size]
        quarter = min(_seconds(text[: size // 4]) for _ in range(2))
        whole = _seconds(text)
        assert whole < max(1000 * baseline, 1.0), (name, whole, baseline)
        assert whole < 8 * quarter + 0.2, (name, whole, quarter)
