"""The files source against hostile trees and bytes: loops, unreadable paths, unterminated PEM."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.certificate_checker.parse import MAX_BUNDLE_BYTES, MAX_ERRORS, split_bundle
from jobs.demo.issuing import issue
from tests.certificate_checker.conftest import NOW, Pki, by_resource, run_checker

NOW_ARG = ("--now", NOW.isoformat())
BEGIN, END = b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n"


def test_a_symlink_loop_under_globstar_gives_one_certificate_one_finding(pki: Pki, tmp_path: Path) -> None:
    tree = tmp_path / "certs" / "team"
    tree.mkdir(parents=True)
    (tree / "site.pem").write_bytes(pki.leaf("site.test", 100).pem(False))
    (tree / "up").symlink_to("..")  # certs/team/up/team/up/... for ever
    (tree / "again.pem").symlink_to("site.pem")
    result = run_checker(tmp_path, {"files": [f"{tmp_path}/certs/**/*.pem"]}, *NOW_ARG)
    assert list(by_resource(result)) == [f"file:{tree}/again.pem#0"]  # shortest spelling, then by name
    assert result["errors"] == [] and result["summary"]["total_checked"] == 1


def test_a_path_that_cannot_be_looked_at_is_an_error_naming_it_not_a_crash(pki: Pki, tmp_path: Path) -> None:
    """As root nothing is unreadable; a name longer than the system allows fails `stat` the same way."""
    (tmp_path / "good.pem").write_bytes(pki.leaf("good.test", 100).pem(False))
    unlookable = f"{tmp_path}/{'x' * 300}/cert.pem"
    result = run_checker(tmp_path, {"files": [unlookable, f"{tmp_path}/good.pem"]}, *NOW_ARG)
    assert list(by_resource(result)) == [f"file:{tmp_path}/good.pem#0"]
    assert result["errors"] == [{"source": f"file:{unlookable}", "message": "cannot read: File name too long"}]


def test_a_file_name_that_is_not_utf8_is_named_with_escapes_and_the_run_is_recorded(pki: Pki, tmp_path: Path) -> None:
    """bad\\xff.pem reached the state DB as a lone surrogate: a traceback and no result at all."""
    (tmp_path / os.fsdecode(b"bad\xff.pem")).write_bytes(pki.leaf("a.test", 100).pem(False))
    (tmp_path / "good.pem").write_bytes(pki.leaf("good.test", 100).pem(False))
    result = run_checker(tmp_path, {"files": [f"{tmp_path}/*.pem"]}, *NOW_ARG)
    assert sorted(by_resource(result)) == [f"file:{tmp_path}/bad\\xff.pem#0", f"file:{tmp_path}/good.pem#0"]
    assert result["errors"] == [] and result["summary"]["total_checked"] == 2


def test_unterminated_begin_lines_are_read_in_linear_time_and_named(pki: Pki, tmp_path: Path) -> None:
    """400 KB of BEGIN lines took 47 s (a regex retried from every BEGIN)."""
    noise = BEGIN * (400_000 // len(BEGIN))
    (tmp_path / "noise.pem").write_bytes(pki.leaf("first.test", 100).pem(False) + noise)
    started = time.monotonic()
    result = run_checker(tmp_path, {"files": [f"{tmp_path}/noise.pem"]}, *NOW_ARG)
    assert time.monotonic() - started < 5
    assert list(by_resource(result)) == [f"file:{tmp_path}/noise.pem#0"]
    messages = [e["message"] for e in result["errors"]]
    assert messages[:MAX_ERRORS] == ["corrupt PEM certificate: no END CERTIFICATE line"] * MAX_ERRORS
    assert messages[MAX_ERRORS:] == ["more than 10000 certificate blocks: the rest is not read",
                                     f"{10_000 - 1 - MAX_ERRORS} more unreadable blocks from here on"]  # fmt: skip


def test_bundles_over_the_size_cap_are_one_named_error_in_every_source() -> None:
    [parsed] = split_bundle(BEGIN * (MAX_BUNDLE_BYTES // len(BEGIN) + 1))
    assert parsed.error == f"larger than {MAX_BUNDLE_BYTES} bytes: not a certificate bundle"


_tokens = st.sampled_from([BEGIN, END, b"MIIB\n", b"garbage\n", b"-----BEGIN", "é\n".encode(), b"\x00\xff", b""])


_GOOD = issue("prop.test", NOW).pem(False)


@settings(max_examples=300, deadline=None)
@given(st.lists(_tokens, max_size=40), st.integers(0, 40))
def test_any_bytes_around_a_good_certificate_never_lose_it(tokens: list[bytes], where: int) -> None:
    """Adversarial PEM: stray, doubled and unterminated markers, non-ASCII, NULs, empty input.
    The good certificate is always read, every index is a certificate or an error, nothing raises."""
    data = b"".join(tokens[:where]) + b"\n" + _GOOD + b"".join(tokens[where:])
    parsed = list(split_bundle(data))
    assert [p.info.subject for p in parsed if p.info] == ["CN=prop.test"]
    assert [p.index for p in parsed] == sorted({p.index for p in parsed})
    for p in parsed:
        assert (p.info is None) is (p.error is not None)
        assert p.error is None or ("{" not in p.error and "ParseError" not in p.error)
