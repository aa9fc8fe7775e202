"""PyPI lockfiles: requirements*.txt, poetry.lock, uv.lock, Pipfile.lock.

A requirement is a component only when pinned exactly (`==`/`===`, no wildcard): a range says
what may be installed, not what is, so it is counted as unpinned instead of guessed.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from jobs.repo_scanner.scanners.dependencies.component import PYPI, Component
from jobs.repo_scanner.scanners.dependencies.parsed import Cursor, Parsed, require

_OPTION = re.compile(r"\s+--?[A-Za-z]")  # `pkg==1 --hash=sha256:...`: options after the requirement
_LOCATION = re.compile(r"^([A-Za-z][\w+.-]*://|\.{0,2}/|file:)")  # a URL, VCS or path: pins no version
_COMMENT = re.compile(r"(^|\s)#.*$")  # ` # why`; `#egg=` in a URL has no space before it


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined, comments cut."""
    joined: list[tuple[int, str]] = []
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        joined.append((start, _COMMENT.sub("", " ".join(parts)).strip()))
        parts = []
    if parts:
        joined.append((start, _COMMENT.sub("", " ".join(parts)).strip()))
    return [(n, line) for n, line in joined if line]


def exact_version(requirement: Requirement) -> str | None:
    specs = list(requirement.specifier)
    if requirement.url or len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator not in ("==", "===") or "*" in spec.version:
        return None
    return spec.version


def parse_requirements(text: str, path: str) -> Parsed:
    parsed = Parsed()
    for number, line in logical_lines(text):
        if line.startswith("-"):  # -r/-c includes, index options; -e editables pin nothing
            parsed.unpinned += line.startswith(("-e", "--editable"))
            continue
        if _LOCATION.match(line):
            parsed.unpinned += 1
            continue
        try:
            requirement = Requirement(_OPTION.split(line, maxsplit=1)[0])
        except InvalidRequirement as exc:
            parsed.problems.append(f"line {number}: not a requirement ({str(exc).splitlines()[0][:120]})")
            continue
        version = exact_version(requirement)
        if version is None:
            parsed.unpinned += 1
            continue
        parsed.add(Component(PYPI, requirement.name, version, path, number))
    return parsed


def _packages(text: str) -> list[Any]:
    data = tomllib.loads(text)
    packages = data.get("package", [])
    require(isinstance(packages, list), "`package` is not an array of tables")
    return list(packages)


def parse_toml_lock(text: str, path: str) -> Parsed:
    """poetry.lock and uv.lock: `[[package]]` tables with name and version. uv's own project
    (an editable or virtual source) is not a dependency."""
    parsed = Parsed()
    cursor = Cursor(text)
    for package in _packages(text):
        require(isinstance(package, dict), "a [[package]] entry is not a table")
        name, version = package.get("name"), package.get("version")
        line = cursor.line_of(r"^\[\[package\]\]")
        source = package.get("source")
        if isinstance(source, dict) and ({"editable", "virtual"} & set(source)):
            continue
        require(isinstance(name, str) and bool(name), f"a [[package]] at line {line} has no name")
        if not isinstance(version, str) or not version:
            parsed.unpinned += 1
            continue
        parsed.add(Component(PYPI, str(name), version, path, line + 1))
    return parsed


def parse_pipfile_lock(text: str, path: str) -> Parsed:
    """Pipfile.lock: `default` and `develop` map names to {"version": "==1.2.3", ...}; an
    entry without a version (a git or path dependency) is unpinned."""
    data = json.loads(text)
    require(isinstance(data, dict), "not a JSON object")
    parsed = Parsed()
    cursor = Cursor(text)
    for section in ("default", "develop"):
        entries = data.get(section, {})
        require(isinstance(entries, dict), f"`{section}` is not an object")
        cursor.line_of(rf'^\s*"{section}"\s*:')
        for name, entry in entries.items():
            line = cursor.line_of(rf"^\s*{re.escape(json.dumps(name))}\s*:")
            require(isinstance(entry, dict), f"{section}.{name} is not an object")
            version = entry.get("version")
            if not (isinstance(version, str) and version.startswith("==") and "*" not in version):
                parsed.unpinned += 1
                continue
            parsed.add(Component(PYPI, name, version.lstrip("="), path, line))
    return parsed
