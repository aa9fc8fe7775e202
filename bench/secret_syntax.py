"""How a value is written down in each file syntax the corpus plants into: one assignment per
line, a multi-line key where the syntax can hold one, and the ordinary settings around them.

A name is given as words ("aws access key id") and cased the way that syntax usually is
(`AWS_ACCESS_KEY_ID` in `.env`, `awsAccessKeyId` in JSON). Each renderer returns the lines and
which of them hold the value (a multi-line key spans its BEGIN to END lines).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Rendered = tuple[list[str], int, int]  # lines, first and last line (0-based) holding the value


def upper(words: str) -> str:
    return words.upper().replace(" ", "_")


def lower(words: str) -> str:
    return words.replace(" ", "_")


def camel(words: str) -> str:
    first, *rest = words.split()
    return first + "".join(w.capitalize() for w in rest)


def dotted(words: str) -> str:
    return "app." + words.replace(" ", ".")


@dataclass(frozen=True)
class Syntax:
    files: tuple[str, ...]  # names a file of this syntax has
    case: Callable[[str], str]
    line: str  # one assignment: {name}, {value}
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    block: tuple[str, str] | None = None  # a multi-line value: the opening line ({name}) and closing one
    indent: str = ""  # of a block's lines


SYNTAXES: dict[str, Syntax] = {
    "json": Syntax(
        ("config.json", "settings.json", "credentials.json", "appsettings.json"),
        camel,
        '  "{name}": "{value}",',
        ("{",),
        ('  "version": 1', "}"),
    ),
    "yaml": Syntax(
        ("config.yaml", "settings.yml", "values.yaml", "docker-compose.override.yml"),
        lower,
        "{name}: {value}",
        block=("{name}: |", ""),
        indent="  ",
    ),
    "ini": Syntax(("app.ini", "settings.cfg", "config.ini", "credentials"), lower, "{name} = {value}", ("[default]",)),
    "env": Syntax(
        (".env", ".env.production", "prod.env", "local.env"), upper, "{name}={value}", block=('{name}="', '"')
    ),
    "python": Syntax(
        ("settings.py", "local_settings.py", "config.py", "secrets_prod.py"),
        upper,
        '{name} = "{value}"',
        block=('{name} = """', '"""'),
    ),
    "js": Syntax(
        ("config.js", "env.js", "keys.js", "firebase-config.js"),
        camel,
        "const {name} = '{value}';",
        block=("const {name} = `", "`;"),
    ),
    "shell": Syntax(
        ("deploy.sh", "env.sh", "bootstrap.sh", "ci-setup.sh"),
        upper,
        'export {name}="{value}"',
        ("#!/bin/sh", "set -eu"),
        block=("cat > /etc/app/{name}.pem <<'EOF'", "EOF"),
    ),
    "terraform": Syntax(
        ("main.tf", "providers.tf", "terraform.tfvars"),
        lower,
        '  {name} = "{value}"',
        ('resource "app_config" "this" {',),
        ("}",),
        block=("  {name} = <<EOT", "EOT"),
    ),
    "dockerfile": Syntax(
        ("Dockerfile", "Dockerfile.prod"),
        upper,
        "ENV {name}={value}",
        ("FROM python:3.11-slim",),
        ('CMD ["python", "-m", "app"]',),
    ),
    "xml": Syntax(
        ("web.config", "app.config", "App.config"),
        camel,
        '    <add key="{name}" value="{value}" />',
        ("<configuration>", "  <appSettings>"),
        ("  </appSettings>", "</configuration>"),
    ),
    "xml-element": Syntax(
        ("settings.xml", "config.xml", "context.xml"),
        camel,
        "    <{name}>{value}</{name}>",
        ("<settings>", "  <server>"),
        ("  </server>", "</settings>"),
        block=("    <{name}>", "    </{name}>"),
    ),
    "properties": Syntax(("application.properties", "gradle.properties"), dotted, "{name}={value}"),
    "toml": Syntax(
        ("config.toml", "secrets.toml"), lower, '{name} = "{value}"', ("[service]",), block=("{name} = '''", "'''")
    ),
    "pem": Syntax(("server.key", "id_rsa", "tls.key", "signing.pem", "deploy_key"), lower, "{value}", block=("", "")),
}

#: the ordinary settings between secrets: (name words, a value maker)
FILLER: list[tuple[str, Callable[[random.Random], str]]] = [
    ("debug", lambda r: r.choice(["false", "true"])),
    ("port", lambda r: str(r.choice([80, 443, 5000, 8000, 8080, 9090]))),
    ("log level", lambda r: r.choice(["info", "warning", "debug"])),
    ("timeout seconds", lambda r: str(r.randint(5, 120))),
    ("region", lambda r: r.choice(["eu-west-1", "us-east-1", "ap-south-1"])),
    ("service name", lambda r: r.choice(["billing", "checkout", "reports", "gateway"])),
    ("max connections", lambda r: str(r.randint(4, 200))),
    ("base url", lambda r: r.choice(["https://api.internal", "http://localhost:8000", "https://shop.example.org"])),
    ("feature flags", lambda r: r.choice(["beta,new-ui", "none", "search-v2"])),
    ("retry count", lambda r: str(r.randint(1, 9))),
]


def assignment(syntax: str, words: str, value: str) -> Rendered:
    """`value` assigned to `words` on one line of `syntax` (a multi-line value joined with \\n
    escapes, as JSON and one-line .env values hold a PEM key)."""
    spec = SYNTAXES[syntax]
    if "\n" in value:
        value = value.replace("\n", "\\n")
    return [spec.line.format(name=spec.case(words), value=value)], 0, 0


def block(syntax: str, words: str, value: str) -> Rendered:
    """A multi-line value (a PEM key) in the syntax's multi-line form; one line where it has none."""
    spec = SYNTAXES[syntax]
    if spec.block is None:
        return assignment(syntax, words, value)
    opening, closing = spec.block
    lines = [spec.indent + v for v in value.split("\n")]
    head = [opening.format(name=spec.case(words))] if opening else []
    tail = [closing.format(name=spec.case(words))] if closing else []
    return [*head, *lines, *tail], len(head), len(head) + len(lines) - 1


def filler(syntax: str, rng: random.Random) -> str:
    words, make = rng.choice(FILLER)
    return assignment(syntax, words, make(rng))[0][0]
