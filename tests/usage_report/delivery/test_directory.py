"""The directory channel: `<dir>/<tenant>/<kind>/<label>.pdf` (+ .csv, .json), whole or not at all,
never outside the directory whatever the tenant id."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings

from jobs.core.errors import PermanentError
from jobs.usage_report.delivery import Deliverer
from jobs.usage_report.delivery.directory import DirectoryChannel
from tests.usage_report.delivery.samples import WEEK, bundle, report, tenant
from tests.usage_report.delivery.settings import run_settings, usage
from tests.usage_report.delivery.test_paths import IDS


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_pdf_csv_and_json_land_under_tenant_kind_and_label_readable_by_the_group(tmp_path: Path) -> None:
    made = bundle(report(tenant("acme"), WEEK))
    with Deliverer(run_settings(), usage(directory=str(tmp_path / "out"))) as deliverer:
        where = deliverer.deliver("directory", made)
    assert where.where == str(tmp_path / "out/acme/weekly/2026-W48.pdf") and where.refused == ()
    assert files_under(tmp_path / "out") == {
        "acme/weekly/2026-W48.pdf": made.pdf,
        "acme/weekly/2026-W48.csv": made.csv,
        "acme/weekly/2026-W48.json": made.json,
    }
    assert {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "out").rglob("*.*")} == {"0o640"}


def test_without_figures_only_the_pdf_is_written_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    channel = DirectoryChannel(run_settings(), usage(directory=str(tmp_path), figures=False))
    channel.deliver(bundle(pdf=b"first"))
    channel.deliver(bundle(pdf=b"second"))
    assert files_under(tmp_path) == {"acme/daily/2026-11-30.pdf": b"second"}  # no temporary file left


@settings(max_examples=150)
@given(IDS)
@example("../../outside")
@example("..")
@example("/etc/cron.d/x")
@example("\x00")
@example("x" * 4000)
def test_no_tenant_id_writes_outside_the_directory(tenant_id: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "reports"
        DirectoryChannel(run_settings(), usage(directory=str(root))).deliver(bundle(report(tenant(tenant_id))))
        written = [p for p in Path(scratch).rglob("*") if p.is_file()]
        assert len(written) == 3
        for path in written:
            assert path.resolve().is_relative_to(root.resolve()), path
            assert len(path.relative_to(root).parts) == 3


def test_a_symlink_planted_below_the_directory_is_not_followed_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "reports", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "acme").symlink_to(outside)
    with pytest.raises(PermanentError, match="is a link"):
        DirectoryChannel(run_settings(), usage(directory=str(root))).deliver(bundle())
    assert list(outside.rglob("*")) == []


def test_a_directory_that_cannot_be_made_is_a_permanent_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "acme").write_text("a file where the tenant's folder goes")
    with pytest.raises(PermanentError, match=r"directory: cannot write .*acme.*: (Not a directory|File exists)"):
        DirectoryChannel(run_settings(), usage(directory=str(tmp_path))).deliver(bundle())


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    channel = DirectoryChannel(run_settings(), usage(directory=str(tmp_path), figures=False))
    channel.deliver(bundle(pdf=b"the old report"))
    folder = tmp_path / "acme/daily"
    os.chmod(folder, 0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anyway: make the final name a folder instead
            (folder / "2026-11-30.pdf").unlink()
            (folder / "2026-11-30.pdf").mkdir()
            (folder / "2026-11-30.pdf" / "keep").write_bytes(b"the old report")
        with pytest.raises(PermanentError, match="cannot write"):
            channel.deliver(bundle(pdf=b"half a new report"))
    finally:
        os.chmod(folder, 0o750)
    assert b"half a new report" not in b"".join(files_under(tmp_path).values())
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
