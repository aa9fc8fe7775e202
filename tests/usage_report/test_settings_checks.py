"""Settings that validate but cannot work are exit 2 naming the key (review 13, D5, D6), and the
`font_dir` setting is the fonts the PDFs embed, in process and in the pool (D5)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import reportlab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.usage_report import fonts
from jobs.usage_report.bundles import render_all
from tests.helpers import run_cli, write_config
from tests.usage_report import pdfs
from tests.usage_report.reports import report
from tests.usage_report.world import SPEC

LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABELS = ("api_label", "application_label", "code_label")
METRICS = ("requests", "duration", "request_bytes", "response_bytes")


def run(tmp: Path, capsys: pytest.CaptureFixture[str], **section: Any) -> tuple[int, str]:
    """A daily run with `section` over a minimal config: nothing is reached before settings fail."""
    cfg: dict[str, Any] = {
        "state_db_url": f"sqlite:///{tmp / 'state.db'}",
        "usage_report": {
            "prometheus": {"url": "http://127.0.0.1:1"},
            "control_plane": {"dsn": f"sqlite:///{tmp / 'cp.db'}"},
            "delivery": {"email": False, "directory": str(tmp / "reports")},
        },
    }
    for key, value in section.items():
        head, _, tail = key.partition("__")
        if tail:
            cfg["usage_report"].setdefault(head, {})[tail] = value
        else:
            cfg["usage_report"][head] = value
    capsys.readouterr()
    code = run_cli(SPEC, ["--config", write_config(tmp / "config.yaml", cfg), "--period", "daily"])["exit_code"]
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("prometheus__url", "not a url", "usage_report.prometheus.url"),
        ("prometheus__url", "ftp://x", "usage_report.prometheus.url"),
        ("prometheus__url", "http://", "usage_report.prometheus.url"),
        ("prometheus__scrape_interval_seconds", 86400, "usage_report.prometheus.scrape_interval_seconds"),
        ("prometheus__scrape_interval_seconds", 43201, "usage_report.prometheus.scrape_interval_seconds"),
        ("prometheus__tenant_label", "ten ant", "usage_report.prometheus.tenant_label"),
        ("queries__requests", "x or vector(1)", "usage_report.queries.requests"),
        ("queries__code_label", "code}", "usage_report.queries.code_label"),
    ],
)
def test_an_unusable_setting_exits_2_naming_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: Any, named: str
) -> None:
    code, said = run(tmp_path, capsys, **{key: value})
    assert code == 2 and named.rsplit(".", 1)[-1] in said and "configuration error" in said, said


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(LABELS + METRICS),
    st.one_of(st.from_regex(r"\A[a-zA-Z_:][a-zA-Z0-9_:]{0,20}\Z"), st.text(max_size=12)),
)
def test_label_and_metric_names_are_checked_like_prometheus(name: str, value: str) -> None:
    import re

    from pydantic import ValidationError

    from jobs.usage_report.settings import MetricNames

    pattern = LABEL if name in LABELS else r"[a-zA-Z_:][a-zA-Z0-9_:]*"
    valid = re.fullmatch(pattern, value) is not None
    try:
        MetricNames.model_validate({name: value})
    except ValidationError as exc:
        assert not valid and name in str(exc)
    else:
        assert valid, (name, value)


def test_a_font_dir_without_the_fonts_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "DejaVuSans.ttf").write_bytes(b"")
    code, said = run(tmp_path, capsys, font_dir=str(tmp_path / "fonts"))
    assert code == 2 and "usage_report.font_dir" in said and "DejaVuSans-Bold.ttf" in said, said
    assert "DejaVuSans.ttf," not in said.split("not found")[0]  # the one present is not named missing


def _embedded(pdf: bytes, tmp: Path) -> str:
    path = tmp / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=30).stdout


@pdfs.needs_poppler
@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils missing")
def test_font_dir_is_the_font_embedded_in_process_and_in_the_pool(tmp_path: Path) -> None:
    folder = tmp_path / "fonts"  # Vera under DejaVu's names: the embedded face tells which was used
    folder.mkdir()
    vera = Path(reportlab.__file__).parent / "fonts"
    for source, target in zip(("Vera.ttf", "VeraBd.ttf", "VeraMono.ttf"), fonts.DEJAVU, strict=True):
        shutil.copy(vera / (source if (vera / source).exists() else "Vera.ttf"), folder / target)
    assert fonts.problems(str(folder)) == []
    chosen = fonts.find(str(folder))
    reports = [report("acme"), report("globex", scale=2.0)]
    for workers in (1, 2):
        for bundle in render_all(reports, workers, fonts=chosen):
            assert not isinstance(bundle, str)
            listed = _embedded(bundle.pdf, tmp_path)
            assert "BitstreamVeraSans" in listed and "DejaVu" not in listed, listed
    default = render_all(reports[:1], 1)[0]
    assert not isinstance(default, str)
    if fonts.find().dejavu:  # the system's DejaVu, where installed: not the font_dir's
        assert "BitstreamVeraSans" not in _embedded(default.pdf, tmp_path)
