"""A dependency as a lockfile states it: the unit the OSV matcher, the SBOM and the license
check share. Names are kept as written (the SBOM shows them); `key` is the normalized name
advisories are looked up by, so `Django`, `django` and `DJANGO` meet one advisory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from packageurl import PackageURL

PYPI: Final = "PyPI"
NPM: Final = "npm"
GO: Final = "Go"

_PEP503 = re.compile(r"[-_.]+")
_PURL_TYPE: Final[dict[str, str]] = {PYPI: "pypi", NPM: "npm", GO: "golang"}


def normalize(ecosystem: str, name: str) -> str:
    """PEP 503 for PyPI (runs of `-_.` → `-`, lower case); npm and Go names are case-sensitive
    as their registries are, only trimmed."""
    if ecosystem == PYPI:
        return _PEP503.sub("-", name.strip()).lower()
    return name.strip()


def purl(ecosystem: str, name: str, version: str) -> str:
    """The package URL: `pkg:pypi/django@4.2.1`, `pkg:npm/%40babel/core@7.1.0`,
    `pkg:golang/github.com/pkg/errors@v0.9.1`."""
    kind = _PURL_TYPE[ecosystem]
    namespace: str | None = None
    local = normalize(ecosystem, name)
    if ecosystem != PYPI and "/" in local:
        namespace, local = local.rsplit("/", 1)
    return str(PackageURL(type=kind, namespace=namespace, name=local, version=version).to_string())


@dataclass(frozen=True)
class Component:
    """One resolved package of one lockfile (`line`: where it is stated, 1-based)."""

    ecosystem: str  # PyPI | npm | Go (OSV's ecosystem names)
    name: str
    version: str
    path: str  # the lockfile, repository-relative
    line: int
    license: str | None = None  # when the lockfile says (package-lock.json v2/v3)

    @property
    def key(self) -> tuple[str, str]:
        return self.ecosystem, normalize(self.ecosystem, self.name)

    def record(self) -> dict[str, Any]:
        """The secret-free record on ScanReport.components (the SBOM and licenses read it)."""
        return {
            "ecosystem": self.ecosystem,
            "name": self.name,
            "version": self.version,
            "path": self.path,
            "line": self.line,
            "purl": purl(self.ecosystem, self.name, self.version),
            "license": self.license,
        }
