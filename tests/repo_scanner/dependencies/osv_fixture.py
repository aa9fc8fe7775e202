"""A small OSV database as OSV publishes it: one JSON per advisory in per-ecosystem folders,
and one ecosystem as its `all.zip`. The shapes are the real ones (PYSEC/GHSA/GO ids, aliases,
SEMVER and ECOSYSTEM ranges, `versions` lists, `last_affected`, withdrawn, CVSS v3 and v4)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

CRITICAL_V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
HIGH_V3 = "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"  # 7.2
CRITICAL_V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3


def advisory(
    id_: str, ecosystem: str, name: str, *, modified: str = "2024-02-01T00:00:00Z", **fields: Any
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    for key in ("ranges", "versions"):
        if key in fields:
            affected[key] = fields.pop(key)
    return {
        "schema_version": "1.6.0",
        "id": id_,
        "modified": modified,
        "published": "2023-06-01T00:00:00Z",
        "affected": [affected],
        "references": [{"type": "ADVISORY", "url": f"https://osv.example.test/{id_}"}],
        **fields,
    }


ADVISORIES: dict[str, dict[str, Any]] = {
    "PyPI/PYSEC-2023-80.json": advisory(
        "PYSEC-2023-80",
        "PyPI",
        "django",
        modified="2024-03-01T12:00:00.123456Z",
        summary="Potential bypass of validation when uploading multiple files",
        aliases=["CVE-2023-31047", "GHSA-r3xc-prgr-mg9p"],
        severity=[{"type": "CVSS_V3", "score": CRITICAL_V3}],
        ranges=[
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.2.19"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.1"}, {"introduced": "4.2.1.post1"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "4.2.1"}, {"fixed": "4.2.2"}]},
        ],
    ),
    "PyPI/GHSA-j8r2-6x86-q33q.json": advisory(
        "GHSA-j8r2-6x86-q33q",
        "PyPI",
        "Requests",  # spelled as the project does; the lockfile says `requests`
        summary="Unintended leak of Proxy-Authorization header",
        aliases=["CVE-2023-32681"],
        database_specific={"severity": "MODERATE", "cwe_ids": ["CWE-200"]},
        versions=["2.31.0"],
        ranges=[{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.32.0"}]}],
    ),
    "PyPI/PYSEC-2024-1.json": advisory(
        "PYSEC-2024-1",
        "PyPI",
        "certifi",
        withdrawn="2024-01-05T00:00:00Z",
        summary="withdrawn: not a vulnerability",
        ranges=[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
    ),
    "PyPI/GHSA-uv-idna.json": advisory(
        "GHSA-jjg7-2v4v-x38h",
        "PyPI",
        "idna",
        summary="Denial of service via resource consumption in idna.encode()",
        aliases=["CVE-2024-3651"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
        ranges=[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.7"}]}],
    ),
    "npm/GHSA-35jh-r3h4-6jhm.json": advisory(
        "GHSA-35jh-r3h4-6jhm",
        "npm",
        "lodash",
        summary="Command Injection in lodash",
        aliases=["CVE-2021-23337"],
        severity=[{"type": "CVSS_V3", "score": HIGH_V3}],
        ranges=[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}],
    ),
    "npm/GHSA-xvch-5gv4-984h.json": advisory(
        "GHSA-xvch-5gv4-984h",
        "npm",
        "minimist",
        summary="Prototype Pollution in minimist",
        aliases=["CVE-2021-44906"],
        severity=[{"type": "CVSS_V3", "score": CRITICAL_V3}],
        ranges=[
            {"type": "SEMVER", "events": [{"introduced": "0"}, {"last_affected": "0.2.3"}]},
            {"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.6"}]},
        ],
    ),
    "npm/RUSTSEC-2023-1.json": advisory(
        "RUSTSEC-2023-1", "crates.io", "lodash", ranges=[{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    ),
    "npm/broken.json": "{ this is not JSON",  # type: ignore[dict-item]
}

GO_ZIP: dict[str, dict[str, Any]] = {
    "GO-2023-1737.json": advisory(
        "GO-2023-1737",
        "Go",
        "github.com/gin-gonic/gin",
        summary="Improper handling of filenames in Content-Disposition HTTP header in github.com/gin-gonic/gin",
        aliases=["CVE-2023-29401", "GHSA-2c4m-59x9-fr2g"],
        severity=[{"type": "CVSS_V4", "score": CRITICAL_V4}],
        ranges=[
            {"type": "SEMVER", "events": [{"introduced": "1.3.1-0.20190301021747-ccb9e902956d"}, {"fixed": "1.9.1"}]}
        ],
    ),
    "GO-2023-1571.json": advisory(
        "GO-2023-1571",
        "Go",
        "golang.org/x/net",
        summary="Denial of service via crafted HTTP/2 stream in net/http and golang.org/x/net",
        aliases=["CVE-2022-41723"],
        severity=[{"type": "CVSS_V3", "score": HIGH_V3}],
        ranges=[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.7.0"}]}],
    ),
}


def write_db(root: Path) -> Path:
    for name, content in ADVISORIES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    (root / "Go").mkdir(exist_ok=True)
    with zipfile.ZipFile(root / "Go" / "all.zip", "w") as archive:
        for name, content in GO_ZIP.items():
            archive.writestr(name, json.dumps(content))
    return root
