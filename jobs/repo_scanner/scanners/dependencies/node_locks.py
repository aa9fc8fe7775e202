"""npm lockfiles: package-lock.json (lockfileVersion 1, 2 and 3) and yarn.lock (classic v1
and berry). Only packages resolved from the registry are components: links, workspaces and
patches are the project's own code or point at another entry."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jobs.repo_scanner.scanners.dependencies.component import NPM, Component
from jobs.repo_scanner.scanners.dependencies.parsed import Cursor, Parsed, line_at, require

_NODE_MODULES = "node_modules/"


def _license(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("license")
    return value if isinstance(value, str) and value else None


def _from_packages(text: str, packages: Mapping[str, Any], path: str, parsed: Parsed) -> None:
    """v2/v3 `packages`: keys are install paths, `node_modules/a/node_modules/@s/b`; an alias
    names the real package in `name`."""
    cursor = Cursor(text)
    for key, entry in packages.items():
        require(isinstance(entry, dict), f"packages[{key!r}] is not an object")
        line = cursor.line_of(rf"^\s*{re.escape(json.dumps(key))}\s*:")
        if _NODE_MODULES not in key or entry.get("link"):
            continue  # the root project, a workspace, a symlinked folder
        name = entry.get("name") or key.rsplit(_NODE_MODULES, 1)[1]
        version = entry.get("version")
        if not isinstance(version, str) or not version:
            parsed.unpinned += 1
            continue
        parsed.add(Component(NPM, str(name), version, path, line, _license(entry)))


def _from_dependencies(cursor: Cursor, dependencies: Mapping[str, Any], path: str, parsed: Parsed) -> None:
    """v1 `dependencies`: name → {version, dependencies: {nested...}}, depth first as written."""
    for name, entry in dependencies.items():
        require(isinstance(entry, dict), f"dependencies[{name!r}] is not an object")
        line = cursor.line_of(rf"^\s*{re.escape(json.dumps(name))}\s*:")
        version = entry.get("version")
        if isinstance(version, str) and version and not version.startswith(("file:", "git", "http", "link:")):
            parsed.add(Component(NPM, name, version, path, line))
        else:
            parsed.unpinned += 1
        nested = entry.get("dependencies", {})
        require(isinstance(nested, dict), f"dependencies[{name!r}].dependencies is not an object")
        _from_dependencies(cursor, nested, path, parsed)


def parse_package_lock(text: str, path: str) -> Parsed:
    data = json.loads(text)
    require(isinstance(data, dict), "not a JSON object")
    parsed = Parsed()
    packages = data.get("packages")
    if packages is not None:  # v2 carries both; `packages` is the complete one
        require(isinstance(packages, dict), "`packages` is not an object")
        _from_packages(text, packages, path, parsed)
        return parsed
    dependencies = data.get("dependencies", {})
    require(isinstance(dependencies, dict), "`dependencies` is not an object")
    require("lockfileVersion" in data or not data, "no lockfileVersion: not a package-lock.json")
    _from_dependencies(Cursor(text), dependencies, path, parsed)
    return parsed


_HEADER = re.compile(r"^(?P<specs>[^\s#].*):\s*$", re.MULTILINE)
_FIELD = re.compile(r'^ {2}(?P<key>version|resolution):? +"?(?P<value>[^"\n]*)"?\s*$', re.MULTILINE)


def _classic_name(specs: str) -> str:
    """`"@babel/core@^7.0.0", "@babel/core@^7.1.0"` → `@babel/core` (an alias `a@npm:b@^1` → b)."""
    first = specs.split(",")[0].strip().strip('"')
    if "@npm:" in first:
        first = first.split("@npm:", 1)[1]
    at = first.rfind("@")
    return first[:at] if at > 0 else first


def _berry_name(resolution: str) -> str | None:
    """`@babel/core@npm:7.1.0` → `@babel/core`; workspace:, patch:, git and file: → None."""
    if "@npm:" not in resolution or "@patch:" in resolution:
        return None
    return resolution.split("@npm:", 1)[0]


def parse_yarn_lock(text: str, path: str) -> Parsed:
    berry = re.search(r"^__metadata:", text, re.MULTILINE) is not None
    parsed = Parsed()
    headers = [h for h in _HEADER.finditer(text) if h["specs"] != "__metadata"]
    require(bool(headers) or not text.strip() or text.lstrip().startswith("#"), "no yarn.lock entries")
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        fields = {f["key"]: f["value"].strip() for f in _FIELD.finditer(text, header.end(), end)}
        line = line_at(text, header.start())
        name = _berry_name(fields.get("resolution", "")) if berry else _classic_name(header["specs"])
        version = fields.get("version", "")
        if not version:
            parsed.problems.append(f"line {line}: an entry without a version")
        elif name:
            parsed.add(Component(NPM, name, version, path, line))
    return parsed
