"""Where a dependency's license is declared: the lockfile, else an installed environment.

- the lockfiles, read by the dependencies scanner's parsers: `package-lock.json` v2/v3 carry
  `license` (v1, yarn.lock, go.sum and the Python lockfiles carry none).
- `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`:
  `license` (a string, or the legacy `{type}` object) or the legacy `licenses` list (any of
  them: joined with OR).
- Python `*.dist-info/METADATA` of a virtual environment in the repository
  (`.venv`/`venv`/`env` `lib/python*/site-packages`): `License-Expression` (PEP 639), else
  `License` when it is an SPDX expression, else the `License ::` classifiers (any of them),
  else the `License` text as written.
All read as files, never imported or executed; links are not followed out of the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any, Final

from jobs.repo_scanner.licensing import canonical

MAX_BYTES: Final = 20_000_000
VENVS: Final = (".venv", "venv", "env")

#: trove classifier (after "License :: ") → SPDX id, where the classifier names one license
CLASSIFIERS: Final[dict[str, str]] = {
    "OSI Approved :: MIT License": "MIT",
    "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "OSI Approved :: Apache Software License": "Apache-2.0",
    "OSI Approved :: ISC License (ISCL)": "ISC",
    "OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "OSI Approved :: GNU General Public License (GPL)": "GPL-1.0-or-later",
    "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)": "LGPL-2.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Other/Proprietary License": "LicenseRef-Proprietary",
}


@dataclass(frozen=True)
class Declared:
    """A dependency and the license text it declares (None: it declares none)."""

    ecosystem: str  # npm | PyPI (OSV's names, as the dependencies scanner's components)
    name: str
    version: str
    path: str  # where the dependency is stated (its lockfile, else its installed metadata)
    line: int
    license: str | None
    source: str = ""  # the file that states the license, when not `path`


class SourceError(ValueError):
    """A file that cannot be read as what its name says."""


def read_text(root: Path, path: Path) -> str:
    """A file's text, refusing links out of the repository and huge files."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SourceError("a link out of the repository")
    if resolved.stat().st_size > MAX_BYTES:
        raise SourceError(f"larger than {MAX_BYTES} bytes")
    try:
        return resolved.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (offset {exc.start})") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"not JSON: {getattr(exc, 'msg', 'nested too deeply')}") from None


def npm_license(manifest: Mapping[str, Any]) -> str | None:
    value = manifest.get("license")
    if isinstance(value, Mapping):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return value.strip()
    listed = manifest.get("licenses")
    if isinstance(listed, list):
        names = [str(v.get("type") if isinstance(v, Mapping) else v).strip() for v in listed]
        names = [n for n in names if n and n != "None"]
        if names:
            return " OR ".join(f"({n})" if " " in n else n for n in names)
    return None


def node_modules(root: Path) -> Iterator[Path]:
    base = root / "node_modules"
    if not base.is_dir() or base.is_symlink():
        return
    yield from sorted(base.glob("*/package.json"))
    yield from sorted(base.glob("@*/*/package.json"))


def installed_npm(text: str, path: str) -> Declared:
    data = _json(text)
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise SourceError("a package.json without a name")
    return Declared("npm", data["name"], str(data.get("version", "")), path, 0, npm_license(data))


def dist_infos(root: Path) -> Iterator[Path]:
    for venv in VENVS:
        base = root / venv
        if base.is_dir() and not base.is_symlink():
            yield from sorted(base.glob("lib/python*/site-packages/*.dist-info/METADATA"))


def installed_python(text: str, path: str) -> Declared:
    headers = HeaderParser().parsestr(text)
    name, version = headers.get("Name"), headers.get("Version")
    if not name:
        raise SourceError("a METADATA without a Name")
    return Declared("PyPI", str(name), str(version or ""), path, 0, python_license(headers))


def python_license(headers: Any) -> str | None:
    expression = headers.get("License-Expression")
    if expression and str(expression).strip():
        return str(expression).strip()
    declared = str(headers.get("License") or "").strip()
    if declared and "\n" not in declared and canonical(declared) is not None:
        return declared
    classifiers = [str(c).removeprefix("License :: ").strip() for c in headers.get_all("Classifier") or []]
    ids = [CLASSIFIERS[c] for c in classifiers if c in CLASSIFIERS]
    if ids:  # a package listing several offers any of them
        return " OR ".join(dict.fromkeys(ids))
    if declared:
        return declared.splitlines()[0][:200]
    unmapped = [c.removeprefix("OSI Approved :: ") for c in classifiers if c.startswith("OSI Approved ::")]
    return unmapped[0] if unmapped else None
