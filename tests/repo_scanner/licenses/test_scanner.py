"""The licenses scanner on repositories written here: lockfile metadata, node_modules and a
virtual environment, exact hits; the repository's own license; unreadable files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.license_text import identify
from jobs.repo_scanner.model import Checkout, ScanTarget
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.licenses import scan
from jobs.repo_scanner.settings import RepoScannerSettings
from tests.repo_scanner.running import config, git_repo, package_lock
from tests.repo_scanner.running import scan as run_scan

METADATA = """Metadata-Version: 2.1
Name: {name}
Version: 1.0
{headers}
"""


def checkout(root: Path) -> Checkout:
    files = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]
    return Checkout(ScanTarget("app", path=str(root)), root, files, None, None)


def env(dependencies: bool = True, **licenses: object) -> ScanEnv:
    scanners = {"licenses": licenses, "dependencies": {"enabled": dependencies}}
    cfg = RepoScannerSettings.model_validate({"scanners": scanners})
    return ScanEnv(cfg, Fingerprinter())


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_each_dependency_is_judged_from_the_lockfile_else_the_installed_package(tmp_path: Path) -> None:
    lock = package_lock(
        {
            "left-pad": "MIT",
            "gplonly": "GPL-3.0-only",
            "dual": "MIT OR GPL-3.0",
            "both": "MIT AND GPL-3.0",
            "bare": None,
        }
    )
    site = ".venv/lib/python3.11/site-packages"
    root = write(
        tmp_path,
        {
            "package-lock.json": lock,
            "node_modules/bare/package.json": json.dumps(
                {"name": "bare", "version": "1.0.0", "licenses": [{"type": "AGPL-3.0"}]}
            ),
            "node_modules/@corp/secret-sauce/package.json": json.dumps(
                {"name": "@corp/secret-sauce", "version": "2.0.0", "license": "UNLICENSED"}
            ),
            f"{site}/requests-1.0.dist-info/METADATA": METADATA.format(
                name="requests", headers="License-Expression: Apache-2.0"
            ),
            f"{site}/gplpy-1.0.dist-info/METADATA": METADATA.format(
                name="gplpy",
                headers="License: GNU GPL v3\nClassifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
            ),
            f"{site}/vague-1.0.dist-info/METADATA": METADATA.format(name="vague", headers="License: BSD"),
        },
    )
    report = scan(checkout(root), env())
    found = [(h.rule, h.category, h.path, h.line, h.message) for h in report.hits]
    assert found == [
        (
            "GPL-3.0-only",
            "license:denied",
            f"{site}/gplpy-1.0.dist-info/METADATA",
            0,
            "gplpy 1.0: license GPL-3.0-only is denied (GPL-3.0-only)",
        ),
        (
            "license:unknown",
            "license:unknown",
            f"{site}/vague-1.0.dist-info/METADATA",
            0,
            "vague 1.0: license BSD is not a known SPDX license",
        ),
        (
            "license:unknown",
            "license:unknown",
            "node_modules/@corp/secret-sauce/package.json",
            0,
            "@corp/secret-sauce 2.0.0: license UNLICENSED is not a known SPDX license",
        ),
        (
            "GPL-3.0-only",
            "license:denied",
            "package-lock.json",
            14,
            "gplonly 1.0.0: license GPL-3.0-only is denied (GPL-3.0-only)",
        ),
        (
            "GPL-3.0-only",
            "license:denied",
            "package-lock.json",
            22,
            "both 1.0.0: license MIT AND GPL-3.0-only is denied (GPL-3.0-only)",
        ),
        (  # locked without a license: the installed package.json's (legacy `licenses`) counts
            "AGPL-3.0-only",
            "license:denied",
            "package-lock.json",
            26,
            "bare 1.0.0: license AGPL-3.0-only is denied (AGPL-3.0-only)",
        ),
    ]
    assert {k: report.stats[k] for k in ("dependencies", "allowed", "denied", "unknown", "undetermined")} == {
        "dependencies": 9,
        "allowed": 3,
        "denied": 4,
        "unknown": 2,
        "undetermined": 0,
    }
    denied = next(h for h in report.hits if h.extra["package"] == "both")
    assert denied.fingerprint == Fingerprinter().of("license", "npm", "both", "1.0.0", "MIT AND GPL-3.0-only")
    assert denied.extra == {
        "package": "both",
        "version": "1.0.0",
        "ecosystem": "npm",
        "license": "MIT AND GPL-3.0-only",
        "declared_in": "package-lock.json",
        "denied": ["GPL-3.0-only"],
    }
    bare = next(h for h in report.hits if h.extra["package"] == "bare")
    assert bare.extra["declared_in"] == "node_modules/bare/package.json"


def test_allow_in_the_settings_clears_a_denied_dependency(tmp_path: Path) -> None:
    root = write(tmp_path, {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only", "nolicense": None})})
    report = scan(checkout(root), env(allow=["GPL-3.0-only"]))
    assert report.hits == []
    assert (report.stats["allowed"], report.stats["undetermined"]) == (1, 1)  # a lockfile without metadata


def test_unreadable_files_are_errors_naming_them_and_the_rest_is_still_judged(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "package-lock.json": '{"packages": {',
            "node_modules/broken/package.json": "[1, 2]",
            "node_modules/ok/package.json": json.dumps({"name": "ok", "version": "1.0.0", "license": "SSPL-1.0"}),
        },
    )
    (root / "node_modules/latin1").mkdir()
    (root / "node_modules/latin1/package.json").write_bytes(b'{"name": "caf\xe9"}')
    report = scan(checkout(root), env(dependencies=False))  # else that scanner names the lockfile
    assert [(e.source, e.message) for e in report.errors] == [
        (
            "dependencies:package-lock.json",
            "unreadable: Expecting property name enclosed in double quotes: line 1 column 15 (char 14)",
        ),
        (
            "licenses:node_modules/broken/package.json",
            "node_modules/broken/package.json: a package.json without a name",
        ),
        ("licenses:node_modules/latin1/package.json", "node_modules/latin1/package.json: not UTF-8 text (offset 13)"),
    ]
    assert [(h.rule, h.path) for h in report.hits] == [("SSPL-1.0", "node_modules/ok/package.json")]
    assert [e.source for e in scan(checkout(root), env()).errors] == [e.source for e in report.errors[1:]]


MIT = """MIT License\n\nCopyright (c) 2026 Someone\n\nPermission is hereby granted, free of charge, to any
person obtaining a copy of this software and associated documentation files (the "Software"), to deal"""
APACHE = "                                 Apache License\n                           Version 2.0, January 2004\n"
GPL3 = "GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n ... the GNU Affero General Public License ..."
AGPL3 = "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n"
LGPL21 = "GNU LESSER GENERAL PUBLIC LICENSE\n  Version 2.1, February 1999\n"
BSD3 = "Redistribution and use in source and binary forms, with or without\nmodification, are permitted ...\n3. Neither the name of the copyright holder"
BSD2 = "Redistribution and use in source and binary\n   forms, with or without modification, are permitted"
ISC = "Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee"
MPL = "Mozilla Public License Version 2.0\n=================================="
SSPL = "Server Side Public License\nVERSION 1, OCTOBER 16, 2018"


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        (MIT, "MIT"),
        (APACHE, "Apache-2.0"),
        (GPL3, "GPL-3.0"),
        (AGPL3, "AGPL-3.0"),
        (LGPL21, "LGPL-2.1"),
        (BSD3, "BSD-3-Clause"),
        (BSD2, "BSD-2-Clause"),
        (ISC, "ISC"),
        (MPL, "MPL-2.0"),
        (SSPL, "SSPL-1.0"),
        ("Copyright Corp. All rights reserved. Proprietary and confidential.", "unknown"),
        ("", "unknown"),
    ],
)
def test_the_repository_license_is_told_by_its_text(text: str, spdx: str) -> None:
    assert identify(text) == spdx
    assert identify(text.upper().replace(" ", "  \n")) == spdx  # reflowed, re-capitalised


def test_the_repository_license_is_in_the_stats_and_never_a_finding(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"COPYING": GPL3, "package-lock.json": package_lock({"ok": "MIT"})})
    result = run_scan(config(tmp_path), "--repo", str(repo))
    assert result["exit_code"] == 0 and result["findings"] == []
    stats = result["summary"]["repositories"]["app"]
    assert stats["licenses_repository"] == {"file": "COPYING", "license": "GPL-3.0"}


def test_an_unknown_license_takes_the_configured_severity(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "app", {"package-lock.json": package_lock({"gplonly": "GPL-2.0-only", "odd": "Beerware-ish"})}
    )
    cfg = config(tmp_path, scanners={"licenses": {"unknown": "info"}, "sast": {"enabled": False}})
    result = run_scan(cfg, "--repo", str(repo), "--fail-on", "warning")
    assert result["exit_code"] == 4
    assert [(f["severity"], f["resource"], f["details"]["rule"]) for f in result["findings"]] == [
        ("warning", "repo:app:package-lock.json:10", "GPL-2.0-only"),
        ("info", "repo:app:package-lock.json:14", "license:unknown"),
    ]


def test_a_pinned_python_dependency_takes_its_installed_license_and_an_absent_one_is_counted(tmp_path: Path) -> None:
    site = ".venv/lib/python3.12/site-packages"
    classifier = "Classifier: License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)"
    root = write(
        tmp_path,
        {
            "requirements.txt": "# pinned\nGPL_Py==1.0\nabsent==2.0\n",
            f"{site}/gpl_py-1.0.dist-info/METADATA": METADATA.format(name="gpl_py", headers=classifier),
        },
    )
    report = scan(checkout(root), env())
    assert [(h.rule, h.path, h.line, h.extra["declared_in"]) for h in report.hits] == [
        ("LGPL-3.0-or-later", "requirements.txt", 2, f"{site}/gpl_py-1.0.dist-info/METADATA")
    ]
    assert (report.stats["dependencies"], report.stats["undetermined"]) == (1, 1)
