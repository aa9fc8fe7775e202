"""Each rule finds its secret, exactly once and on the right line, in the syntaxes it is found in."""

from __future__ import annotations

import random

import pytest

from jobs.repo_scanner.scanners.secrets.engine import Engine
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import found

#: file name → a document with `{k}` (a key name) and `{v}` (the value) on its third line
SYNTAXES = {
    "config.json": '{{\n  "name": "svc",\n  "{k}": "{v}"\n}}\n',
    "values.yaml": "service:\n  name: svc\n  {k}: {v}\n",
    "quoted.yml": 'service:\n  name: svc\n  {k}: "{v}"\n',
    "settings.ini": "[default]\nregion = eu-west-1\n{k} = {v}\n",
    ".env": "# the app\nREGION=eu-west-1\n{K}={v}\n",
    "settings.py": 'import os\n\n{K} = "{v}"\n',
    "client.js": "const cfg = {{\n  region: 'eu',\n  {k}: '{v}',\n}};\n",
    "deploy.sh": '#!/bin/sh\nset -eu\nexport {K}="{v}"\n',
    "main.tf": 'provider "svc" {{\n  region = "eu"\n  {k} = "{v}"\n}}\n',
    "web.config": '<configuration>\n  <appSettings>\n    <add key="{k}" value="{v}" />\n  </appSettings>\n</configuration>\n',
    "application.properties": "server.port=8080\nspring.profiles.active=prod\napp.{k}={v}\n",
    "Dockerfile": "FROM python:3.11-slim\nENV PORT=8000\nENV {K}={v}\n",
}


#: syntaxes whose value is bare: the `-config` variant of a generic rule finds it
BARE = {"values.yaml", "settings.ini", ".env", "application.properties", "Dockerfile"}


def document(syntax: str, key: str, value: str) -> str:
    return SYNTAXES[syntax].format(k=key, K=key.upper(), v=value)


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
@pytest.mark.parametrize("rule", sorted(samples.SECRET_FORMATS))
def test_each_token_format_is_found_once_on_its_line(
    engine: Engine, rng: random.Random, rule: str, syntax: str
) -> None:
    value = samples.SECRET_FORMATS[rule](rng)
    assert found(engine, syntax, document(syntax, "credential", value)) == [(rule, 3)]


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
@pytest.mark.parametrize(
    ("rule", "keys", "make"),
    [
        ("aws-secret-access-key", ("aws_secret_access_key", "secretAccessKey", "AWS_SECRET_KEY"), samples.aws_secret),
        ("generic-password", ("password", "db_password", "smtpPassword", "PGPASSWORD"), samples.password),
        ("generic-api-key", ("api_key", "apiKey", "client_secret", "auth-token", "X_API_TOKEN"), samples.api_key),
    ],
)
def test_assigned_secrets_are_found_under_every_spelling_of_their_name(
    engine: Engine, rng: random.Random, syntax: str, rule: str, keys: tuple[str, ...], make: object
) -> None:
    assert callable(make)
    expected = f"{rule}-config" if syntax in BARE and rule.startswith("generic-") else rule
    for key in keys:
        value = make(rng)
        assert found(engine, syntax, document(syntax, key, value)) == [(expected, 3)], key


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
@pytest.mark.parametrize(
    "scheme",
    [
        "postgresql",
        "postgres",
        "postgresql+psycopg2",
        "mysql",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "amqps",
    ],
)
def test_connection_strings_report_their_password(engine: Engine, rng: random.Random, syntax: str, scheme: str) -> None:
    url, password = samples.db_url(rng, scheme)
    matches = engine.scan_text(syntax, document(syntax, "database_url", url))
    assert [(m.rule, m.line, m.secret) for m in matches] == [("connection-string-password", 3, password)]


@pytest.mark.parametrize("kind", samples.PEM_KINDS)
def test_a_private_key_file_is_one_finding_on_its_begin_line(engine: Engine, rng: random.Random, kind: str) -> None:
    pem = samples.private_key(rng, kind)
    text = f"# deploy key\n\n{pem}\n"
    matches = engine.scan_text("deploy.pem", text)
    assert [(m.rule, m.line, m.category) for m in matches] == [("private-key", 3, "secret:key")]
    assert matches[0].secret == pem


def test_private_keys_embedded_in_yaml_python_and_json(engine: Engine, rng: random.Random) -> None:
    pem = samples.private_key(rng, "RSA ")
    indented = "\n".join("    " + line for line in pem.splitlines())
    yaml_doc = f"tls:\n  cert: none\n  key: |\n{indented}\n"
    python_doc = f'"""Fixtures."""\n\nKEY = """{pem}"""\n'
    json_doc = '{\n  "type": "service_account",\n  "private_key": ' + repr(pem).replace("'", '"') + "\n}\n"
    assert found(engine, "tls.yaml", yaml_doc) == [("private-key", 4)]
    assert found(engine, "keys.py", python_doc) == [("private-key", 3)]
    assert found(engine, "sa.json", json_doc) == [("private-key", 3)]


def test_two_keys_in_one_file_are_two_findings(engine: Engine, rng: random.Random) -> None:
    first, second = samples.private_key(rng, "EC "), samples.private_key(rng, "OPENSSH ")
    text = f"{first}\n\n{second}\n"
    assert found(engine, "keys.txt", text) == [("private-key", 1), ("private-key", len(first.splitlines()) + 2)]


def test_categories_follow_the_rule_tags(engine: Engine, rng: random.Random) -> None:
    text = f"token = {samples.github_token(rng)}\npassword = {samples.password(rng)}\n"
    assert [(m.rule, m.category) for m in engine.scan_text("a.env", text)] == [
        ("github-token", "secret:key"),
        ("generic-password-config", "secret:generic"),
    ]
