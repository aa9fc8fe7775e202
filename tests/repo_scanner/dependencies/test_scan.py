"""The dependencies scanner end to end on real-looking lockfiles of every supported format
and a small OSV database written here: the exact findings, components and stats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.scanners.dependencies import NOT_CONFIGURED, scan
from tests.repo_scanner.dependencies.helpers import checkout_of, env, samples_checkout
from tests.repo_scanner.dependencies.osv_fixture import CRITICAL_V3, write_db


def test_every_lockfile_against_the_osv_folder_gives_exactly_the_affected_packages(tmp_path: Path) -> None:
    db = write_db(tmp_path / "osv")
    report = scan(samples_checkout(tmp_path), env(osv_db=str(db)))
    found = sorted((h.rule, h.path, h.line, h.cvss, h.message) for h in report.hits)
    lodash = "lodash 4.17.20: Command Injection in lodash (fixed in 4.17.21)"
    minimist_old = "minimist 0.0.8: Prototype Pollution in minimist (no fixed version)"
    assert found == [
        ("GHSA-35jh-r3h4-6jhm", "berry/yarn.lock", 17, 7.2, lodash),
        ("GHSA-35jh-r3h4-6jhm", "classic/yarn.lock", 12, 7.2, lodash),
        ("GHSA-35jh-r3h4-6jhm", "web/package-lock.json", 22, 7.2, lodash),
        (
            "GHSA-j8r2-6x86-q33q",
            "requirements.txt",
            13,
            5.5,
            "requests 2.31.0: Unintended leak of Proxy-Authorization header (fixed in 2.32.0)",
        ),
        (
            "GHSA-jjg7-2v4v-x38h",
            "uv.lock",
            5,
            7.5,
            "idna 3.6: Denial of service via resource consumption in idna.encode() (fixed in 3.7)",
        ),
        (
            "GHSA-xvch-5gv4-984h",
            "legacy/package-lock.json",
            7,
            9.8,
            "minimist 1.2.0: Prototype Pollution in minimist (fixed in 1.2.6)",
        ),
        ("GHSA-xvch-5gv4-984h", "legacy/package-lock.json", 17, 9.8, minimist_old),
        ("GHSA-xvch-5gv4-984h", "web/package-lock.json", 32, 9.8, minimist_old),
        (
            "GO-2023-1737",
            "gosvc/go.sum",
            1,
            9.3,
            "github.com/gin-gonic/gin v1.9.0: Improper handling of filenames in Content-Disposition HTTP header"
            " in github.com/gin-gonic/gin (fixed in 1.9.1)",
        ),
        (
            "PYSEC-2023-80",
            "requirements.txt",
            11,
            9.8,
            "Django 4.2.1: Potential bypass of validation when uploading multiple files (fixed in 4.2.2)",
        ),
    ]
    assert report.ran
    assert [(e.source, e.message) for e in report.errors] == [
        (
            "dependencies:osv_db:npm/broken.json",
            "Expecting property name enclosed in double quotes: line 1 column 3 (char 2)",
        ),
    ]
    assert report.stats == {
        "lockfiles": 9,
        "components": 21,
        "unpinned": 6,
        "osv_db": str(db),
        "osv_db_updated": "2024-03-01T12:00:00Z",
        "advisories": 8,
    }


def test_a_hit_carries_advisory_aliases_fix_and_a_fingerprint_of_what_it_is(tmp_path: Path) -> None:
    db = write_db(tmp_path / "osv")
    report = scan(samples_checkout(tmp_path), env(osv_db=str(db)))
    django = next(h for h in report.hits if h.rule == "PYSEC-2023-80")
    assert (django.type, django.scanner, django.category) == ("vulnerability", "dependencies", "vulnerability")
    assert dict(django.extra) == {
        "advisory": "PYSEC-2023-80",
        "aliases": ["CVE-2023-31047", "GHSA-r3xc-prgr-mg9p"],
        "fixed_version": "4.2.2",
        "package": "Django",
        "version": "4.2.1",
        "ecosystem": "PyPI",
        "cvss_vector": CRITICAL_V3,
    }
    assert django.fingerprint == Fingerprinter().of(
        "vuln", "PYSEC-2023-80", "PyPI", "Django", "4.2.1", "requirements.txt"
    )


def test_without_a_database_the_scanner_says_it_did_not_run_and_still_lists_components(tmp_path: Path) -> None:
    report = scan(samples_checkout(tmp_path), env())
    assert (report.ran, report.hits, report.stats["why_not_run"]) == (False, [], NOT_CONFIGURED)
    assert len(report.components) == 21
    assert {
        "ecosystem": "npm",
        "name": "@babel/core",
        "version": "7.22.5",
        "path": "web/package-lock.json",
        "line": 16,
        "purl": "pkg:npm/%40babel/core@7.22.5",
        "license": "MIT",
    } in report.components
    assert {
        "ecosystem": "Go",
        "name": "golang.org/x/text",
        "version": "v0.3.0",
        "path": "gosvc/go.sum",
        "line": 5,
        "purl": "pkg:golang/golang.org/x/text@v0.3.0",
        "license": None,
    } in report.components
    django = next(c for c in report.components if c["name"] == "Django")
    assert django["purl"] == "pkg:pypi/django@4.2.1"


def test_a_missing_database_folder_is_an_error_and_not_a_clean_bill(tmp_path: Path) -> None:
    report = scan(samples_checkout(tmp_path), env(osv_db=str(tmp_path / "nowhere")))
    assert not report.ran
    assert [e.source for e in report.errors] == ["dependencies:osv_db"]


@pytest.mark.parametrize("content", [{}, {"README.txt": "unpack all.zip here"}, {"sub/.keep": ""}])
def test_a_database_folder_with_no_advisory_is_an_error_and_not_a_clean_bill(
    tmp_path: Path, content: dict[str, str]
) -> None:
    """pip-audit's trap: an empty (or never unpacked) download checked nothing, and says so."""
    db = tmp_path / "osv"
    db.mkdir()
    for name, text in content.items():
        (db / name).parent.mkdir(parents=True, exist_ok=True)
        (db / name).write_text(text)
    report = scan(samples_checkout(tmp_path), env(osv_db=str(db)))
    assert not report.ran and report.hits == []
    assert "holds no advisory" in report.stats["why_not_run"]
    assert [e.source for e in report.errors if e.source == "dependencies:osv_db"] == ["dependencies:osv_db"]


def test_a_database_without_modified_dates_is_as_old_as_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "osv"
    db.mkdir()
    (db / "A-1.json").write_text(json.dumps({"id": "A-1", "affected": []}))
    os.utime(db, (1_700_000_000, 1_700_000_000))
    report = scan(checkout_of(tmp_path / "osv"), env(osv_db=str(db)))
    assert report.stats["osv_db_updated"] == "2023-11-14T22:13:20Z"


def test_a_malformed_lockfile_is_an_error_naming_it_and_the_others_still_count(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "a" / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": [')
    (root / "poetry.lock").write_text('[[package]]\nname = "x"\nversion = "1.0"\n')
    (root / "go.sum").write_text(
        "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\nnonsense\n"
    )
    report = scan(checkout_of(root), env())
    assert [(e.source, e.message) for e in report.errors] == [
        ("dependencies:a/package-lock.json", "unreadable: Expecting value: line 1 column 37 (char 36)"),
        ("dependencies:go.sum", "line 2: not `module version hash`"),
    ]
    assert sorted((c["name"], c["version"]) for c in report.components) == [
        ("github.com/pkg/errors", "v0.9.1"),
        ("x", "1.0"),
    ]


def test_an_advisory_added_to_a_subfolder_is_seen_by_the_next_scan_of_the_same_process(tmp_path: Path) -> None:
    db = write_db(tmp_path / "osv")
    checkout = samples_checkout(tmp_path)
    before = {h.rule for h in scan(checkout, env(osv_db=str(db))).hits}
    (db / "PyPI" / "PYSEC-2024-9.json").write_text(
        json.dumps(
            {
                "id": "PYSEC-2024-9",
                "modified": "2024-04-01T00:00:00Z",
                "summary": "new",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "jinja2"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.3"}]}],
                    }
                ],
            }
        )
    )
    report = scan(checkout, env(osv_db=str(db)))
    assert {h.rule for h in report.hits} - before == {"PYSEC-2024-9"}
    assert report.stats["osv_db_updated"] == "2024-04-01T00:00:00Z"
