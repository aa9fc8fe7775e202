"""The CSV and JSON beside each PDF: every figure, machine numbers, stable bytes, no formulas."""

from __future__ import annotations

import csv
import io
import json
import math

from hypothesis import example, given
from hypothesis import strategies as st

from jobs.usage_report import figures
from jobs.usage_report.model import KPIS, Breakdown, Kpi
from tests.usage_report.delivery.samples import KPI_VALUES, WEEK, report, tenant


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_csv_has_every_kpi_quota_and_top_list_with_machine_numbers() -> None:
    data = figures.csv_bytes(report(tenant("acme", "Acme SA"), WEEK))
    assert data.startswith(
        b"tenant_id,tenant_name,period_kind,period_label,section,rank,name,metric,value,previous,change_percent\r\n"
    )
    found = rows(data)
    assert {(r["tenant_id"], r["tenant_name"], r["period_kind"], r["period_label"]) for r in found} == {
        ("acme", "Acme SA", "weekly", "2026-W48")
    }
    kpis = {r["metric"]: (r["value"], r["previous"], r["change_percent"]) for r in found if r["section"] == "kpi"}
    assert list(kpis) == list(KPIS)
    assert kpis["calls"] == ("123456", "100000", "23.456")
    assert kpis["mb_out"] == ("250.25", "300", "-16.583") and kpis["latency_p99"] == ("480", "", "")
    quota = {r["metric"]: r["value"] for r in found if r["section"] == "quota"}
    assert quota == {"monthly": "1000000", "period_allowance": "33333.3", "period_used_percent": "370.37",
                     "month_to_date_calls": "2400000", "month_used_percent": "240", "runs_out_on": "",
                     "exceeded": "true"}  # fmt: skip
    data_rows = {r["metric"]: r["value"] for r in found if r["section"] == "data"}
    assert data_rows == {"completeness": "0.975", "incomplete": "true", "no_traffic": "false"}
    period = {r["metric"]: r["value"] for r in found if r["section"] == "period"}
    assert period == {"start": "2026-11-23T00:00:00Z", "end": "2026-11-30T00:00:00Z"}
    top = [(r["rank"], r["name"], r["metric"], r["value"]) for r in found if r["section"] == "top_apis_by_calls"]
    assert top == [("1", "orders", "calls", "100000"), ("1", "orders", "errors", "3000"),
                   ("2", "'=HYPERLINK(\"http://x\")", "calls", "23456"),
                   ("2", "'=HYPERLINK(\"http://x\")", "errors", "456")]  # fmt: skip


def test_the_json_has_the_same_figures_keyed_and_typed() -> None:
    made = report(tenant("acme", "Acme SA", locale="FR "), WEEK, locale="fr")
    data = json.loads(figures.json_bytes(made))
    assert data["format"] == "secops-usage-report/1"
    assert data["tenant"] == {"id": "acme", "name": "Acme SA", "locale": "fr"}
    assert data["period"] == {"kind": "weekly", "label": "2026-W48", "start": "2026-11-23T00:00:00Z",
                              "end": "2026-11-30T00:00:00Z"}  # fmt: skip
    assert list(data["kpis"]) == list(KPIS)
    assert data["kpis"]["error_rate"] == {"value": 0.02799, "previous": 0.01, "change_percent": 179.9}
    assert data["kpis"]["latency_p99"] == {"value": 480, "previous": None, "change_percent": None}
    assert data["quota"]["exceeded"] is True and data["quota"]["runs_out_on"] is None
    assert (data["completeness"], data["incomplete"], data["no_traffic"]) == (0.975, True, False)
    assert data["top"]["apis_by_calls"][1] == {"rank": 2, "name": '=HYPERLINK("http://x")', "calls": 23456,
                                               "errors": 456}  # fmt: skip
    assert data["notes"] == [{"key": "quota_exceeded", "values": {"quota": 1000000, "used": 2400000}}]


def test_the_same_report_gives_the_same_bytes_and_missing_or_nan_figures_are_empty() -> None:
    odd = {**KPI_VALUES, "calls": Kpi(math.nan, math.inf, None)}
    made = report(kpis=odd, quota=None, completeness=None)
    assert figures.csv_bytes(made) == figures.csv_bytes(report(kpis=odd, quota=None, completeness=None))
    assert figures.json_bytes(made) == figures.json_bytes(report(kpis=odd, quota=None, completeness=None))
    data = json.loads(figures.json_bytes(made))
    assert data["kpis"]["calls"] == {"value": None, "previous": None, "change_percent": None}
    assert data["quota"] is None and data["completeness"] is None
    assert [r["section"] for r in rows(figures.csv_bytes(made))].count("quota") == 0


DANGEROUS = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " ", "  =", "'", "é", "a", "1", ",", '"', "\x00"])
NAMES = st.one_of(st.text(), st.lists(DANGEROUS, max_size=6).map("".join).flatmap(lambda p: st.text().map(p.__add__)))


@given(NAMES, NAMES, NAMES)
@example("=1+1", "-2+3", "@SUM(A1)")
@example("+cmd|' /C calc'!A0", "\t=1", " =1")
def test_no_name_in_the_csv_reads_as_a_formula_and_each_reads_back(tenant_name: str, api: str, app: str) -> None:
    made = report(
        tenant("=acme", tenant_name),
        top_apis_by_calls=(Breakdown(api, 1.0, 0.0),),
        top_applications_by_calls=(Breakdown(app, 1.0, 0.0),),
    )
    found = rows(figures.csv_bytes(made))
    for row in found:
        for column in ("tenant_id", "tenant_name", "name"):
            cell = row[column]
            assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n") or cell.startswith("'"), cell
    by_section = {r["section"]: r["name"] for r in found}
    for original, cell in [(api, by_section["top_apis_by_calls"]), (app, by_section["top_applications_by_calls"]),
                           (tenant_name, found[0]["tenant_name"])]:  # fmt: skip
        assert cell in (original, "'" + original)
    assert json.loads(figures.json_bytes(made))["top"]["apis_by_calls"][0]["name"] == api  # JSON is not a sheet
