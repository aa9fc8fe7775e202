"""The distribution builds the way packaging tools will keep accepting."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT


def test_the_license_is_an_spdx_expression_and_the_backend_is_new_enough_to_read_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in project["build-system"]["requires"]


@pytest.mark.slow
def test_the_wheel_builds_without_a_deprecation_and_declares_its_license(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "*.egg-info", "build", "demo-output"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0 and "No matching distribution found for setuptools" in proc.stdout + proc.stderr:
        pytest.skip("no package index reachable for the build backend")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "`project.license`" not in proc.stdout + proc.stderr  # setuptools' deprecation of the table form
    [wheel] = (tmp_path / "dist").glob("secops_jobs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(archive.read(n).decode() for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        names = set(archive.namelist())
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    # what the code reads at run time is in the wheel, so an installed copy (the image, the
    # Lambda zip) has it: the shipped price list ttl-teardown loads by default
    assert "jobs/ttl_teardown/pricing.yaml" in names
    assert {"python.yaml", "javascript.yaml", "go.yaml"} <= {
        n.rsplit("/", 1)[1] for n in names if n.startswith("jobs/repo_scanner/rules/semgrep/")
    }
