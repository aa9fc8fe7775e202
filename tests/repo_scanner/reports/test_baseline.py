"""The baseline round trip through the real CLI: write it, re-run: nothing accepted trips
`--fail-on`; something new does (exit 4). The file itself: no secret, atomic, never through a
link; a configured baseline that is missing fails loud."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.repo_scanner import baseline
from tests.repo_scanner.running import config, git_repo, package_lock, scan


def test_a_baselined_run_passes_the_gate_and_a_new_finding_trips_it(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only", "odd": "Custom"})})
    accepted = tmp_path / "baseline.json"
    first = scan(config(tmp_path), "--repo", str(repo), "--write-baseline", str(accepted), "--fail-on", "warning")
    assert first["exit_code"] == 4 and first["errors"] == []
    written = json.loads(accepted.read_text())
    assert (written["version"], written["tool"]) == (1, "secops-jobs repo-scanner")
    assert [(e["type"], e["rule"], e["path"]) for e in written["fingerprints"]] == [
        ("license", "GPL-3.0-only", "package-lock.json"),
        ("license", "license:unknown", "package-lock.json"),
    ]
    assert {e["fingerprint"] for e in written["fingerprints"]} == {
        f["details"]["fingerprint"] for f in first["findings"]
    }

    cfg = config(tmp_path, baseline=str(accepted))
    again = scan(cfg, "--repo", str(repo), "--fail-on", "warning")
    assert again["exit_code"] == 0
    assert [f["details"].get("baselined") for f in again["findings"]] == [True, True]
    assert again["summary"]["baselined"] == 2

    (repo / "package-lock.json").write_text(
        package_lock({"gplonly": "GPL-3.0-only", "odd": "Custom", "agpl": "AGPL-3.0-only"})
    )
    new = scan(cfg, "--repo", str(repo), "--fail-on", "warning")
    assert new["exit_code"] == 4
    assert [f["details"]["rule"] for f in new["findings"] if not f["details"].get("baselined")] == ["AGPL-3.0-only"]


def test_a_configured_baseline_that_is_missing_is_a_configuration_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"README.md": "hi\n"})
    missing = tmp_path / "nope.json"
    result = scan(config(tmp_path, baseline=str(missing)), "--repo", str(repo))
    assert result["exit_code"] == 2


def test_a_malformed_baseline_names_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    for text, why in [
        ("{", "not JSON: Expecting property name enclosed in double quotes at line 1"),
        ('{"version": 2, "fingerprints": []}', "version 2 is not 1"),
        (
            '{"version": 1, "fingerprints": [{"fingerprint": "ABC"}]}',
            "entry 1: fingerprint is not 64 lower-case hex digits",
        ),
        ("[]", "not a baseline (an object with a fingerprints list)"),
    ]:
        bad.write_text(text)
        try:
            baseline.read(bad)
        except Exception as exc:
            assert str(exc) == f"repo_scanner.baseline {bad}: {why}"
        else:
            raise AssertionError(text)


def test_a_baseline_path_that_is_a_link_or_a_directory_is_refused_and_recorded(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only"})})
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    result = scan(config(tmp_path), "--repo", str(repo), "--write-baseline", str(link))
    assert [e["source"] for e in result["errors"]] == ["publish"]
    assert "is a symbolic link" in result["errors"][0]["message"]
    assert victim.read_text() == "keep me\n" and result["exit_code"] == 1
    folder = tmp_path / "folder"
    folder.mkdir()
    result = scan(
        config(tmp_path), "--repo", str(repo), "--write-baseline", str(folder), "--sarif", str(tmp_path / "s.sarif")
    )
    assert "is a directory" in result["errors"][0]["message"]
    assert (tmp_path / "s.sarif").is_file()  # the other report is still written
    assert list(tmp_path.glob(".*.tmp")) == [] and list(folder.iterdir()) == []


def test_with_a_baseline_only_a_new_secret_trips_the_gate_even_on_the_same_line(tmp_path: Path) -> None:
    line = "DATABASE_URL=postgres://app:{}@db.internal:5432/app\n"
    repo = git_repo(tmp_path / "app", {"config.env": line.format("Vq7pLm2xRt9Kw")})
    accepted = tmp_path / "baseline.json"
    first = scan(config(tmp_path), "--repo", str(repo), "--write-baseline", str(accepted), "--fail-on", "warning")
    assert first["exit_code"] == 4 and [f["details"]["rule"] for f in first["findings"]] == [
        "connection-string-password"
    ]
    assert "Vq7pLm2xRt9Kw" not in accepted.read_text()
    cfg = config(tmp_path, baseline=str(accepted))
    assert scan(cfg, "--repo", str(repo), "--fail-on", "warning")["exit_code"] == 0
    (repo / "config.env").write_text(line.format("Zt4nWq8rLp2Xc"))  # rotated, and committed again by mistake
    rotated = scan(cfg, "--repo", str(repo), "--fail-on", "warning")
    assert rotated["exit_code"] == 4
    (new,) = rotated["findings"]
    assert new["resource"] == "repo:app:config.env:1" and not new["details"].get("baselined")
