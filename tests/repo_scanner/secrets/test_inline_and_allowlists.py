"""`gitleaks:allow` / `secops:allow` on the line, and the rule file's allowlists."""

from __future__ import annotations

import random

from jobs.repo_scanner.scanners.secrets.engine import Engine
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import found


def test_an_inline_allow_comment_silences_its_line_only(engine: Engine, rng: random.Random) -> None:
    a, b, c = samples.github_token(rng), samples.github_token(rng), samples.github_token(rng)
    text = f"A = '{a}'  # gitleaks:allow\nB = '{b}'  // secops:allow\nC = '{c}'\n"
    assert found(engine, "x.py", text) == [("github-token", 3)]


def test_an_inline_allow_on_a_private_keys_begin_line_covers_the_block(engine: Engine, rng: random.Random) -> None:
    pem = samples.private_key(rng, "EC ")
    first, rest = pem.split("\n", 1)
    assert found(engine, "k.pem", f"{first} secops:allow\n{rest}\n") == []


def test_a_test_vector_path_silences_generic_rules_but_not_key_formats(engine: Engine, rng: random.Random) -> None:
    text = f"secret = {samples.api_key(rng)}\ntoken = {samples.npm_token(rng)}\n"
    assert found(engine, "cryptography_vectors/kdf/hkdf.txt", text) == [("npm-token", 2)]
    assert found(engine, "src/kdf.txt", text) == [("generic-api-key-config", 1), ("npm-token", 2)]


def test_the_jwt_io_example_token_is_allowed(engine: Engine, rng: random.Random) -> None:
    example = samples.join(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    )
    assert found(engine, "README.md", f"curl -H 'Authorization: Bearer {example}'\n") == []
    assert found(engine, "README.md", f"curl -H 'Authorization: Bearer {samples.jwt(rng)}'\n") == [("jwt", 1)]


def test_test_code_and_package_metadata_silence_generic_rules_only(engine: Engine, rng: random.Random) -> None:
    text = f"password = '{samples.password(rng)}'\ntoken = '{samples.npm_token(rng)}'\n"
    for path in (
        "tests/test_login.py",
        "app/test_login.py",
        "pkg/login_test.go",
        "web/login.spec.ts",
        "fixtures/users.py",
    ):
        assert found(engine, path, text) == [("npm-token", 2)], path
    assert found(engine, "app/login.py", text) == [("generic-password", 1), ("npm-token", 2)]
    assert found(engine, "site/pkg-1.0.dist-info/METADATA", text) == []
