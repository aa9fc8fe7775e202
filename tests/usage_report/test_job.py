"""usage-report end to end, through the command-line path: a real Prometheus backfilled with the
generator's series, a real PostgreSQL control plane, aiosmtpd taking the mails, moto's S3.

Every figure delivered (the PDF, the CSV and JSON beside it, the mail's body) is compared with
what the generator says Prometheus holds, through the real aggregate and renderer: `==`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.usage_report.period import period_for
from tests import services
from tests.test_metrics import sample_value
from tests.usage_report import world
from tests.usage_report.delivery.conftest import S3, s3  # noqa: F401 - the fixture, shared
from tests.usage_report.world import DAILY_NOW, ROWS, WEEKLY_NOW, Stack

ROW = {row.id: row for row in ROWS}
MAILED = ("acme", "globex", "initech", "umbrella", "hooli", "plain")  # active, with an address
REPORTED = (*MAILED, "mute")  # mute has no address: stored, not mailed; dormant is inactive


def config(tmp_path: Path, stack: Stack, smtp: services.Smtp, **section: Any) -> dict[str, Any]:
    return world.settings(tmp_path, stack.prometheus, stack.dsn, smtp, **section)


def daily(tmp_path: Path, cfg: dict[str, Any], *argv: str) -> dict[str, Any]:
    return world.run(tmp_path, cfg, "--period", "daily", "--now", DAILY_NOW.isoformat(), *argv)


def by_type(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["type"], f["resource"]): f for f in result["findings"]}


def test_every_active_tenant_gets_its_report_with_the_generators_exact_figures(
    tmp_path: Path, stack: Stack, smtp: services.Smtp
) -> None:
    from jobs.usage_report import locale, render
    from jobs.usage_report.delivery.mail import body as mail_body

    result = daily(tmp_path, config(tmp_path, stack, smtp))
    assert (result["exit_code"], result["status"], result["errors"]) == (0, "success", [])
    period = period_for("daily", DAILY_NOW)
    summary = result["summary"]
    assert (summary["period"], summary["period_kind"], summary["total_checked"]) == ("2026-11-29", "daily", 7)
    assert (summary["tenants_reported"], summary["tenants_no_traffic"], summary["tenants_incomplete"]) == (7, 1, 1)
    assert sorted(a["resource"] for a in result["actions"] if a["kind"] == "email_report") == sorted(
        f"tenant:{t}" for t in MAILED
    )
    assert {a["outcome"] for a in result["actions"]} == {"done"}
    for tenant in REPORTED:
        expected = world.expected_report(stack.generated, ROW[tenant], period)
        stored = tmp_path / "reports" / tenant / "daily"
        assert world.figures_of((stored / "2026-11-29.json").read_bytes()) == world.figures(expected), tenant
        assert (stored / "2026-11-29.pdf").read_bytes() == render.render(expected), tenant
    for tenant in MAILED:
        expected = world.expected_report(stack.generated, ROW[tenant], period)
        [mail] = world.mail_to(smtp, world.tenant_of(ROW[tenant]).contacts[0])
        [pdf] = [v for k, v in world.attachments(mail).items() if k.endswith(".pdf")]
        assert pdf == render.render(expected)
        text = mail.get_body(("plain",))
        assert text is not None, tenant
        assert text.get_content().replace("\r\n", "\n") == mail_body(expected, locale.get(expected.locale)), tenant
    found = by_type(result)
    assert found[("usage_data_incomplete", "tenant:globex")]["severity"] == "warning"
    assert "83.3 %" in found[("usage_data_incomplete", "tenant:globex")]["message"]  # 20 of 24 hours
    assert found[("usage_quota_exceeded", "tenant:umbrella")]["severity"] == "info"
    assert found[("usage_no_contact", "tenant:mute")]["severity"] == "warning"
    assert ("usage_report", "tenant:dormant") not in found


def test_reports_and_figures_are_stored_in_s3_with_server_side_encryption(
    tmp_path: Path,
    stack: Stack,
    smtp: services.Smtp,
    s3: S3,  # noqa: F811 - the delivery tests' fixture
) -> None:
    cfg = config(tmp_path, stack, smtp, delivery={"email": False, "directory": None, "s3_prefix": "usage/"})
    cfg["usage_report"]["delivery"]["s3_bucket"] = s3.bucket
    result = daily(tmp_path, cfg, "--tenant", "globex")
    assert [(a["kind"], a["outcome"]) for a in result["actions"]] == [("store_report_s3", "done")]
    listed = s3.client.list_objects_v2(Bucket=s3.bucket)["Contents"]
    keys = sorted(o["Key"] for o in listed)
    assert keys == [f"usage/globex/daily/2026-11-29.{ext}" for ext in ("csv", "json", "pdf")]
    expected = world.expected_report(stack.generated, ROW["globex"], period_for("daily", DAILY_NOW))
    for key in keys:
        head = s3.client.head_object(Bucket=s3.bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    stored = s3.client.get_object(Bucket=s3.bucket, Key=keys[1])["Body"].read()
    assert world.figures_of(stored) == world.figures(expected)


def test_a_rerun_of_the_period_mails_nothing_and_force_sends_again(
    tmp_path: Path, stack: Stack, smtp: services.Smtp
) -> None:
    cfg = config(tmp_path, stack, smtp, delivery={"directory": None})
    first = daily(tmp_path, cfg, "--tenant", "acme")
    assert [a["outcome"] for a in first["actions"]] == ["done"] and len(smtp.messages) == 1
    again = daily(tmp_path, cfg, "--tenant", "acme")
    assert (again["exit_code"], again["actions"], len(smtp.messages)) == (0, [], 1)
    assert again["summary"]["tenants_already_delivered"] == 1
    forced = daily(tmp_path, cfg, "--tenant", "acme", "--force")
    assert [a["outcome"] for a in forced["actions"]] == ["done"] and len(smtp.messages) == 2
    assert world.attachments(world.mails(smtp)[0]) == world.attachments(world.mails(smtp)[1])  # byte-identical


def test_now_moves_the_period_daily_and_weekly(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    cfg = config(tmp_path, stack, smtp, delivery={"email": False})
    for kind, now, label in (
        ("daily", DAILY_NOW, "2026-11-29"),
        ("daily", "2026-11-20T23:59:59Z", "2026-11-19"),
        ("weekly", WEEKLY_NOW, "2026-W48"),
        ("weekly", "2026-11-22T12:00:00+01:00", "2026-W46"),
    ):
        moment = now if isinstance(now, str) else now.isoformat()
        result = world.run(tmp_path, cfg, "--period", kind, "--now", moment, "--tenant", "acme")
        assert result["summary"]["period"] == label, (kind, now)
        period = period_for(kind, result_now(moment))
        expected = world.expected_report(stack.generated, ROW["acme"], period)
        json_file = tmp_path / "reports" / "acme" / kind / f"{label}.json"
        assert world.figures_of(json_file.read_bytes()) == world.figures(expected)


def result_now(text: str) -> Any:
    from jobs.core.model import parse_instant

    return parse_instant(text)


def test_a_refused_address_fails_that_tenant_only(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    smtp.refuse_rcpt = {"nobody@refused.example"}
    result = daily(tmp_path, config(tmp_path, stack, smtp, delivery={"directory": None}))
    assert (result["exit_code"], result["status"]) == (1, "partial")
    outcomes = {a["resource"]: a for a in result["actions"]}
    assert outcomes["tenant:hooli"]["outcome"] == "failed"
    assert (
        "refused" in outcomes["tenant:hooli"]["error"] and "nobody@refused.example" in outcomes["tenant:hooli"]["error"]
    )
    assert {r for r, a in outcomes.items() if a["outcome"] == "done"} == {f"tenant:{t}" for t in MAILED} - {
        "tenant:hooli"
    }
    finding = by_type(result)[("usage_report_not_delivered", "tenant:hooli")]
    assert finding["severity"] == "warning" and finding["details"]["channel"] == "email"
    smtp.refuse_rcpt = set()  # the address fixed: the next run sends hooli's only
    again = daily(tmp_path, config(tmp_path, stack, smtp, delivery={"directory": None}))
    assert [(a["resource"], a["outcome"]) for a in again["actions"]] == [("tenant:hooli", "done")]


def test_tenant_and_shard_select(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    cfg = config(tmp_path, stack, smtp, delivery={"email": False})
    one = daily(tmp_path, cfg, "--tenant", "globex", "--tenant", "dormant", "--dry-run")
    assert sorted(f["resource"] for f in one["findings"] if f["type"] == "usage_report") == [
        "tenant:dormant",
        "tenant:globex",
    ]
    unknown = daily(tmp_path, cfg, "--tenant", "Acme")
    assert unknown["exit_code"] == 2
    shards = [daily(tmp_path, cfg, "--tenant", "globex", "--dry-run", "--shard", f"{i}/3") for i in range(3)]
    assert sorted(len(r["findings"]) for r in shards)[:2] == [0, 0]  # two shards do not own it ...
    assert sorted(r["summary"]["tenants_in_other_shards"] for r in shards) == [
        [],
        ["globex"],
        ["globex"],
    ]  # ... and say so
    from tests.sharding import assert_shards_partition

    assert_shards_partition(lambda shard: daily(tmp_path, cfg, "--dry-run", *(("--shard", shard) if shard else ())))


def test_a_dry_run_renders_the_same_plan_and_sends_nothing(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    cfg = config(tmp_path, stack, smtp)
    dry = daily(tmp_path, cfg, "--dry-run")
    assert dry["dry_run"] is True and {a["outcome"] for a in dry["actions"]} == {"planned"}
    assert smtp.messages == [] and not (tmp_path / "reports").exists()
    real = daily(tmp_path, cfg)
    strip = lambda r: [(a["kind"], a["resource"], a["details"]) for a in r["actions"]]  # noqa: E731
    assert strip(dry) == strip(real)  # the dry run recorded nothing the real run trusted
    assert len(smtp.messages) == len(MAILED)


def test_missing_settings_and_a_source_down_are_named_and_nothing_is_sent(
    tmp_path: Path, stack: Stack, smtp: services.Smtp
) -> None:
    cfg = config(tmp_path, stack, smtp)
    cfg["usage_report"].pop("prometheus")
    missing = daily(tmp_path, cfg)
    assert missing["exit_code"] == 2
    cfg = config(tmp_path, stack, smtp)
    cfg["usage_report"]["prometheus"]["url"] = f"http://127.0.0.1:{services.free_port()}"
    down = daily(tmp_path, cfg)
    # nothing read, nothing sent: exit 1, and the error (not a status) says no report went
    assert (down["exit_code"], down["status"], down["actions"], smtp.messages) == (1, "partial", [], [])
    [error] = [e for e in down["errors"] if e["source"] == "prometheus"]
    assert f"--period daily --now {DAILY_NOW.isoformat().replace('+00:00', 'Z')}" in error["message"]


def test_deliveries_are_counted_across_runs(tmp_path: Path, stack: Stack, smtp: services.Smtp) -> None:
    textfile = tmp_path / "metrics.prom"
    cfg = {**config(tmp_path, stack, smtp, delivery={"directory": None}), "metrics_textfile": str(textfile)}
    smtp.refuse_rcpt = {"nobody@refused.example"}
    daily(tmp_path, cfg)
    text = textfile.read_text()
    assert sample_value(text, "security_usage_reports_total", period="daily", status="delivered") == 5
    assert sample_value(text, "security_usage_reports_total", period="daily", status="failed") == 1
    assert sample_value(text, "security_usage_report_tenants", status="failed") == 1
    assert sample_value(text, "security_usage_report_tenants", status="undeliverable") == 1  # mute
    smtp.refuse_rcpt = set()
    daily(tmp_path, cfg)
    text = textfile.read_text()
    assert sample_value(text, "security_usage_reports_total", period="daily", status="delivered") == 6
    assert sample_value(text, "security_usage_report_tenants", status="already_delivered") == 5
    assert sample_value(text, "security_usage_report_tenants", status="failed") == 0


def test_analytics_breaks_down_only_the_tenants_prometheus_could_not(
    tmp_path: Path, stack: Stack, smtp: services.Smtp
) -> None:
    from tests.fakes.opensearch import FakeOpenSearch

    start = period_for("daily", DAILY_NOW).start
    docs = [
        {"@timestamp": (start + timedelta(minutes=m)).isoformat(), "tenant": tenant, "api": api,
         "application": "portal", "status": status}
        for m, (tenant, api, status) in enumerate(
            [("plain", "orders", 200)] * 5 + [("plain", "orders", 503)] * 2 + [("plain", "search", 200)] * 3
            + [("acme", "bogus", 200)] * 50
        )
    ]  # fmt: skip
    with FakeOpenSearch() as fake:
        fake.index("gateway-2026.11.29", docs)
        analytics = {"url": fake.url, "index": "gateway-*"}
        cfg = config(tmp_path, stack, smtp, delivery={"email": False}, gateway_analytics=analytics)
        result = daily(tmp_path, cfg, "--tenant", "plain", "--tenant", "acme")
        asked = [r for r in fake.requests if r.path.endswith("/_search")]
    assert result["status"] == "success" and len(asked) == 2  # one search per dimension, for plain only
    assert result["summary"]["queries"]["gateway_analytics"] == 2
    stored = tmp_path / "reports"
    plain = json.loads((stored / "plain" / "daily" / "2026-11-29.json").read_bytes())
    assert plain["breakdown_source"] == "gateway_analytics"
    assert plain["top"]["apis_by_calls"] == [
        {"rank": 1, "name": "orders", "calls": 7, "errors": 2},
        {"rank": 2, "name": "search", "calls": 3, "errors": 0},
    ]
    acme = world.figures_of((stored / "acme" / "daily" / "2026-11-29.json").read_bytes())
    assert acme == world.figures(world.expected_report(stack.generated, ROW["acme"], period_for("daily", DAILY_NOW)))


def test_a_user_holding_exactly_the_generated_policy_stores_the_reports_and_one_less_cannot(
    tmp_path: Path, stack: Stack, smtp: services.Smtp, moto: services.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobs.core.clients.aws import aws_client
    from tests.grants import as_iam_user, generated, iam_less, needs, reset_auth

    for name, value in (("AWS_ENDPOINT_URL", moto.endpoint), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    moto.reset()
    aws_client("s3").create_bucket(Bucket="tenant-reports")
    cfg = config(tmp_path, stack, smtp, delivery={"email": False, "directory": None, "s3_prefix": "usage/"})
    cfg["usage_report"]["delivery"]["s3_bucket"] = "tenant-reports"
    path = world.write_config(tmp_path / "config.yaml", cfg)
    document = generated("iam", "usage-report", path)
    assert json.loads(document)["Statement"] == [
        {"Sid": json.loads(document)["Statement"][0]["Sid"], "Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": "arn:aws:s3:::tenant-reports/usage/*"}
    ]  # fmt: skip
    try:
        as_iam_user(moto, monkeypatch, "reporter", document)
        stored = daily(tmp_path, cfg, "--tenant", "acme")
        assert [a["outcome"] for a in stored["actions"]] == ["done"], stored["actions"]
        as_iam_user(moto, monkeypatch, "reporter-less", iam_less(needs("usage-report", path), 0))
        refused = daily(tmp_path, cfg, "--tenant", "globex")
        [action] = refused["actions"]
        assert action["outcome"] == "failed" and "AccessDenied" in action["error"]
    finally:
        reset_auth(moto, "inf")
