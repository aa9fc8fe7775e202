"""LOCKFILES: which file is read by which parser, and `read`, the one place a parser's failure
becomes a problem named after the file instead of an exception."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Final

from jobs.repo_scanner.scanners.dependencies.component import GO, Component
from jobs.repo_scanner.scanners.dependencies.node_locks import parse_package_lock, parse_yarn_lock
from jobs.repo_scanner.scanners.dependencies.parsed import LockfileError, Parsed
from jobs.repo_scanner.scanners.dependencies.python_locks import (
    parse_pipfile_lock,
    parse_requirements,
    parse_toml_lock,
)

Parser = Callable[[str, str], Parsed]


def parse_go_sum(text: str, path: str) -> Parsed:
    """go.sum: `module version h1:hash`, a module's `/go.mod` line folded into its own."""
    parsed = Parsed()
    for number, raw in enumerate(text.splitlines(), 1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 3 or not fields[1].startswith("v") or ":" not in fields[2]:
            parsed.problems.append(f"line {number}: not `module version hash`")
            continue
        module, version = fields[0], fields[1].removesuffix("/go.mod")
        parsed.add(Component(GO, module, version, path, number))
    return parsed


#: file-name pattern → parser (matched against the base name, case-sensitive as the tools write them)
LOCKFILES: Final[dict[str, Parser]] = {
    "requirements*.txt": parse_requirements,
    "poetry.lock": parse_toml_lock,
    "uv.lock": parse_toml_lock,
    "Pipfile.lock": parse_pipfile_lock,
    "package-lock.json": parse_package_lock,
    "npm-shrinkwrap.json": parse_package_lock,
    "yarn.lock": parse_yarn_lock,
    "go.sum": parse_go_sum,
}


def parser_for(path: str) -> Parser | None:
    """The parser of a repository path; `requirements/dev.txt` is a requirements file too.
    Installed trees (node_modules, vendor) are not the project's lockfiles."""
    parts = PurePosixPath(path).parts
    if "node_modules" in parts[:-1] or "vendor" in parts[:-1]:
        return None
    name = parts[-1] if parts else ""
    for pattern, parser in LOCKFILES.items():
        if fnmatch.fnmatchcase(name, pattern):
            return parser
    if len(parts) > 1 and parts[-2] == "requirements" and name.endswith(".txt"):
        return parse_requirements
    return None


def read(parser: Parser, text: str, path: str) -> Parsed:
    """Never raises for what a file holds: a file that is not what its name says is one
    problem naming it, and yields no components."""
    try:
        return parser(text, path)
    except (LockfileError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return Parsed(problems=[f"unreadable: {reason}"])


__all__ = ["LOCKFILES", "Component", "Parsed", "parser_for", "read"]
