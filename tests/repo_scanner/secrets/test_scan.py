"""The scanner over a checkout: hits without secrets, files skipped and counted, errors named."""

from __future__ import annotations

import random
from pathlib import Path

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.scanners.secrets import scan
from jobs.repo_scanner.scanners.secrets.match import mask
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import CheckoutFactory, make_checkout, make_env


def test_hits_carry_fingerprint_and_mask_never_the_secret(checkout: CheckoutFactory, rng: random.Random) -> None:
    token = samples.github_token(rng)
    url, password = samples.db_url(rng, "postgresql")
    env = make_env()
    report = scan(checkout({"app/settings.py": f"TOKEN = '{token}'\n\nDATABASE_URL = '{url}'\n"}), env)
    assert report.ran and report.errors == []
    assert [(h.rule, h.path, h.line, h.category, h.scanner) for h in report.hits] == [
        ("github-token", "app/settings.py", 1, "secret:key", "secrets"),
        ("connection-string-password", "app/settings.py", 3, "secret:key", "secrets"),
    ]
    first, second = report.hits
    assert first.redacted == mask(token) == f"{token[:4]}…(40 chars)"
    assert first.fingerprint == Fingerprinter(b"test key").secret("github-token", "app/settings.py", token)
    assert second.redacted == mask(password)
    for hit in report.hits:
        for text in (repr(hit), str(hit), *map(str, vars(hit).values())):
            assert token not in text and password not in text


def test_binary_huge_and_non_utf8_files_are_counted(tmp_path: Path, rng: random.Random) -> None:
    token = samples.github_token(rng)
    files: dict[str, str | bytes] = {
        "img.png": b"\x89PNG\0\0" + token.encode(),
        "big.log": "x\n" * 600 + token,
        "latin1.txt": ("caf\xe9 = 1\npassword = " + samples.password(rng) + "\n").encode("latin-1"),
        "ok.txt": "nothing here\n",
    }
    report = scan(make_checkout(tmp_path, files), make_env(max_file_bytes=1000))
    assert [(h.rule, h.path, h.line) for h in report.hits] == [("generic-password-config", "latin1.txt", 2)]
    assert report.stats["files"] == 2
    assert report.stats["skipped_binary"] == 1
    assert report.stats["skipped_large"] == 1 and report.stats["large_files"] == ["big.log"]
    assert report.stats["non_utf8"] == 1
    assert (
        report.stats["bytes"] == len("nothing here\n") + len(files["latin1.txt"]) + 2
    )  # é (1 byte) read as U+FFFD (3)


def test_an_unreadable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path, {"a.txt": "fine\n"})
    checkout = type(checkout)(checkout.target, checkout.root, ["a.txt", "gone.txt"], None, None)
    report = scan(checkout, make_env())
    assert report.ran and report.hits == []
    assert [(e.source, e.message) for e in report.errors] == [
        ("secrets:app:gone.txt", "unreadable: No such file or directory")
    ]


def test_a_broken_repository_gitleaks_toml_is_an_error_and_ours_still_run(tmp_path: Path, rng: random.Random) -> None:
    token = samples.github_token(rng)
    checkout = make_checkout(tmp_path, {".gitleaks.toml": "[[rules]\n", "a.py": f"t = '{token}'\n"})
    report = scan(checkout, make_env())
    assert [h.rule for h in report.hits] == ["github-token"]
    assert len(report.errors) == 1 and report.errors[0].source == "secrets:app"
    assert ".gitleaks.toml: not valid TOML" in report.errors[0].message


def test_a_link_is_never_followed_out_of_the_tree(tmp_path: Path, rng: random.Random) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"token = {samples.github_token(rng)}\n")
    checkout = make_checkout(tmp_path / "repo", {"a.txt": "fine\n"})
    (checkout.root / "link.txt").symlink_to(outside)
    checkout = type(checkout)(checkout.target, checkout.root, ["a.txt", "link.txt"], None, None)
    report = scan(checkout, make_env())
    assert report.hits == [] and report.stats["files"] == 1
    assert [(e.source, e.message) for e in report.errors] == [
        ("secrets:app:link.txt", "unreadable: Too many levels of symbolic links")
    ]


def test_many_files_are_scanned_in_order_with_exact_lines(tmp_path: Path, rng: random.Random) -> None:
    tokens = {f"pkg/m{i:03}.py": samples.github_token(rng) for i in range(60)}
    files: dict[str, str | bytes] = {rel: "\n" * (i % 7) + f"T = '{t}'\n" for i, (rel, t) in enumerate(tokens.items())}
    report = scan(make_checkout(tmp_path, files), make_env())
    assert [(h.path, h.line) for h in report.hits] == [(rel, i % 7 + 1) for i, rel in enumerate(tokens)]
    assert report.stats["files"] == 60
