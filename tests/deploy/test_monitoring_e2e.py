"""End to end: real jobs, run through the command-line path, push to a real Pushgateway that a
real Prometheus scrapes (`honor_labels`, 1 s scrapes and evaluations) with the committed rules
loaded; the alerts fire in `/api/v1/alerts`, and every dashboard query returns data and names
only metrics the runs pushed (collected from the Pushgateway, never from a list kept here).

Runs: certificate-checker succeeds (a certificate 20 days from expiry) then fails (its Vault is
down); ttl-teardown warns, is stopped by its guardrail, runs warn-only successfully (which must
not clear the teardown's failure), then deletes; secret-rotation finds a hand-rotated key past
its age. Everything happens once, in the module's fixture; the tests read what it saw.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.deploy import dashboards
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.demo.issuing import issue
from jobs.demo.planting import aws_key_pair, new_repo
from tests import services
from tests.deploy.test_monitoring import ROOT, rules_of
from tests.helpers import run_cli, write_config
from tests.secret_rotation.kit import folder, put
from tests.ttl_teardown.fleet import REGION, T0, launch_fleet

RULES = ROOT / "monitoring" / "prometheus-rules.yaml"
BOARDS = ROOT / "monitoring" / "dashboards"


@dataclass
class Prometheus:
    url: str

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/query", query=expr)["result"])

    def evaluated_after(self, instant: datetime) -> None:
        """Wait until every rule group was evaluated after `instant` (groups run on their own)."""

        def last(group: dict[str, Any]) -> datetime:
            stamp = re.sub(r"(\.\d{6})\d*", r"\1", group["lastEvaluation"]).replace("Z", "+00:00")
            return datetime.fromisoformat(stamp)

        until(lambda: all(last(g) > instant for g in self.get("/api/v1/rules")["groups"]), "rules evaluated")

    def firing(self) -> list[dict[str, str]]:
        return [a["labels"] for a in self.get("/api/v1/alerts")["alerts"] if a["state"] == "firing"]


@contextlib.contextmanager
def prometheus_server(workdir: Path, pushgateway: str) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    if binary is None:
        services.unavailable("prometheus is not installed (apt-get install prometheus)")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "pushgateway",
                "honor_labels": True,  # the pushed job label is the job's, not the scrape's
                "static_configs": [{"targets": [pushgateway.removeprefix("http://")]}],
            }
        ],
    }
    config_file = Path(write_config(workdir / "prometheus.yml", config))
    port = services.free_port()
    proc = subprocess.Popen(
        [str(binary), f"--config.file={config_file}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        prometheus = Prometheus(f"http://127.0.0.1:{port}")
        services.wait_until(lambda: services.http_ok(f"{prometheus.url}/-/ready"), 30, "prometheus")
        targets = lambda: prometheus.get("/api/v1/targets")["activeTargets"]  # noqa: E731  (scraped later: polled)
        services.wait_until(lambda: targets(), 30, "the pushgateway target")
        yield prometheus
    finally:
        services.stop_pid(proc)  # type: ignore[arg-type]


def until(check: Any, what: str, timeout: float = 20) -> None:
    """Poll Prometheus (its scrapes and evaluations are 1 s apart), never a blind sleep."""
    services.wait_until(lambda: bool(check()), timeout, what)


@dataclass
class Stack:
    prometheus: Prometheus
    pushgateway: services.Pushgateway
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    after_guardrail: list[dict[str, str]] = field(default_factory=list)


def run(stack: Stack, name: str, job: str, workdir: Path, settings: dict[str, Any], *argv: str) -> None:
    base = {"state_db_url": f"sqlite:///{workdir}/state.db", "pushgateway_url": stack.pushgateway.url}
    config = write_config(workdir / f"{name}.yaml", {**base, **settings})
    stack.results[name] = run_cli(JOBS[job], ["--config", config, *argv], Runtime(sleep=lambda _: None))


def certificate_section(workdir: Path) -> dict[str, Any]:
    leaf = issue("api.example.test", datetime.now(UTC), valid_days=50, starts_days=-30)  # 20 days left
    (workdir / "api.pem").write_bytes(leaf.pem())
    return {"files": [str(workdir / "api.pem")]}


def certificate_failure(stack: Stack, workdir: Path, section: dict[str, Any]) -> None:
    """After the success was scraped, so Prometheus sees the run history grow."""
    until(lambda: stack.prometheus.query('security_job_run_duration_seconds_count{job_name="certificate-checker"}'),
          "the first run scraped")  # fmt: skip
    vault_down = {"url": f"http://127.0.0.1:{services.free_port()}", "token": "t"}
    failing = {"vault": vault_down, "certificate_checker": {**section, "vault": {"enabled": True}}}
    run(stack, "cert-failed", "certificate-checker", workdir, failing)


def teardown_runs(stack: Stack, workdir: Path, moto: services.Moto) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", moto.endpoint)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        moto.reset()
        launch_fleet(aws_client("ec2", REGION))
        section = {"regions": [REGION], "aws": {"types": ["ec2:instance"]}}

        def teardown(name: str, when: timedelta, *argv: str, **extra: Any) -> None:
            at = (T0 + when).isoformat()
            run(stack, name, "ttl-teardown", workdir, {"ttl_teardown": {**section, **extra}}, "--now", at, *argv)

        teardown("ttl-warn", timedelta(days=3), "--apply")
        teardown("ttl-guardrail", timedelta(days=5), "--apply", max_actions=0)
        teardown("ttl-warn-only", timedelta(days=5, hours=1), "--apply", "--warn-only")
        until(lambda: stack.prometheus.query('security_job_last_success_timestamp{mode="warn_only"}'), "warn-only")
        stack.prometheus.evaluated_after(datetime.now(UTC))  # every rule has seen the warn-only success
        stack.after_guardrail = stack.prometheus.firing()
        teardown("ttl-delete", timedelta(days=5, hours=2), "--apply")


def rotation_run(stack: Stack, workdir: Path, openbao: services.Vault) -> None:
    base = folder()
    put(openbao, f"{base}/legacy/kek", {"key": "k" * 32}, age_days=400, type="encryption_key", owner="dana@example.com")
    section = {"vault": {"url": openbao.url, "token": openbao.token, "paths": [f"{base}/"]}, "targets": []}
    run(stack, "rotation", "secret-rotation", workdir, {"secret_rotation": section}, "--apply")


def scanner_run(stack: Stack, workdir: Path) -> None:
    """A daily repo-scanner run of one repository with a live AWS key: its findings, durations
    and coverage series (its dependency scanner has no OSV database: it did not run, which its
    alert says)."""
    repo = new_repo(workdir / "platform-app")
    key_id, secret = aws_key_pair()
    repo.commit(
        {"app.py": "print('hello')\n", ".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"}, "first"
    )
    section = {"targets": [{"path": str(repo.root), "name": "platform/app"}], "scanners": {"sast": {"enabled": False}}}
    run(stack, "scanner", "repo-scanner", workdir, {"repo_scanner": section})


def usage_run(stack: Stack, workdir: Path) -> None:
    """A daily usage-report run of one tenant, its PDF into a folder: this Prometheus holds no
    gateway series, so the report says "no traffic", and the job's series are pushed."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(workdir / "control-plane.db")) as db:
        db.executescript(
            "CREATE TABLE tenants (id text primary key, name text, contact_email text, locale text,"
            " monthly_call_quota bigint, active boolean);"
            "CREATE TABLE apis (id text, tenant_id text); CREATE TABLE applications (id text, tenant_id text);"
            "CREATE TABLE users (id text, tenant_id text);"
            "INSERT INTO tenants VALUES ('acme', 'Acme', 'ops@acme.example', 'en', 1000, 1);"
        )
        db.commit()
    section = {
        "prometheus": {"url": stack.prometheus.url},
        "control_plane": {"dsn": f"sqlite:///{workdir / 'control-plane.db'}"},
        "delivery": {"email": False, "directory": str(workdir / "reports")},
        "render_workers": 1,
    }
    run(stack, "usage", "usage-report", workdir, {"usage_report": section})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, moto: services.Moto, openbao: services.Vault) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("monitoring")
    with (
        services.pushgateway_server() as pushgateway,
        prometheus_server(workdir, pushgateway.url) as prometheus,
        pytest.MonkeyPatch.context() as env,
    ):
        env.chdir(workdir)  # the runs' outbox and anything relative land here
        found = Stack(prometheus, pushgateway)
        section = certificate_section(workdir)
        run(found, "cert-ok", "certificate-checker", workdir, {"certificate_checker": section})
        teardown_runs(found, workdir, moto)  # while Prometheus makes its first scrapes
        certificate_failure(found, workdir, section)
        rotation_run(found, workdir, openbao)
        scanner_run(found, workdir)
        usage_run(found, workdir)
        yield found


def board_queries() -> list[tuple[str, str, str]]:
    return [(path.name, title, expr) for path in sorted(BOARDS.glob("*.json"))
            for title, expr in dashboards.queries(json.loads(path.read_text()))]  # fmt: skip


# -- metric names -------------------------------------------------------------------------------------
_NOT_NAMES = (r'"(?:[^"\\]|\\.)*"', r"\{[^}]*\}", r"\[[^\]]*\]", r"\b(?:by|without|on|ignoring)\s*\([^)]*\)")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads: identifiers that are no function, keyword,
    label (inside braces or by/without/on) or duration."""
    for pattern in _NOT_NAMES:
        expr = re.sub(pattern, " ", expr)
    found = re.findall(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", expr)
    return {name for name in found if name not in _KEYWORDS}


def pushed_names(pushgateway: services.Pushgateway) -> set[str]:
    """Every series name the runs pushed, read from the Pushgateway's groups (histograms and
    counters by their exposition names)."""
    with urllib.request.urlopen(f"{pushgateway.url}/api/v1/metrics", timeout=10) as response:
        groups = json.loads(response.read())["data"]
    suffixes = {"HISTOGRAM": ("_bucket", "_sum", "_count"), "SUMMARY": ("_sum", "_count")}
    names = set()
    for group in groups:
        for name, family in group.items():
            if isinstance(family, dict) and "metrics" in family:
                names.update(name + s for s in suffixes.get(family.get("type", ""), ("",)))
    return names


def unknown_metrics(exprs: list[str], emitted: set[str]) -> list[str]:
    allowed = emitted | {"ALERTS"}  # Prometheus' own series of its alerts
    return sorted({name for expr in exprs for name in metric_names(expr)} - allowed)


# -- the tests ----------------------------------------------------------------------------------------
def test_a_real_failed_run_fires_security_job_failed(stack: Stack) -> None:
    assert stack.results["cert-ok"]["status"] == "success"
    assert stack.results["cert-failed"]["status"] in ("failure", "partial")
    assert stack.results["cert-failed"]["exit_code"] == 1
    failed = lambda: [a for a in stack.prometheus.firing() if a["alertname"] == "SecurityJobFailed"]  # noqa: E731
    until(lambda: any(a["job_name"] == "certificate-checker" for a in failed()), "SecurityJobFailed")
    [alert] = [a for a in failed() if a["job_name"] == "certificate-checker"]
    assert alert["severity"] == "warning" and alert["shard"] == "all" and alert["job"] == "certificate-checker"


def test_a_warn_only_success_does_not_clear_the_failed_teardown(stack: Stack) -> None:
    assert [stack.results[n]["exit_code"] for n in ("ttl-warn", "ttl-guardrail", "ttl-warn-only")] == [0, 3, 0]
    teardown = [a for a in stack.after_guardrail if a.get("job_name") == "ttl-teardown"]
    assert {(a["alertname"], a.get("mode", "")) for a in teardown} >= {
        ("TeardownGuardrailTripped", ""),
        ("SecurityJobFailed", ""),
    }
    assert not [a for a in teardown if a["alertname"] == "SecurityJobFailed" and a.get("mode")]
    # and the deletion run that followed succeeded: its failure alert resolves
    assert (
        stack.results["ttl-delete"]["exit_code"] == 0 and stack.results["ttl-delete"]["summary"]["cost_avoided_usd"] > 0
    )
    until(lambda: not [a for a in stack.prometheus.firing() if a["alertname"] == "SecurityJobFailed"
                       and a["job_name"] == "ttl-teardown"], "the teardown's failure resolved")  # fmt: skip


def test_each_jobs_own_alert_fires_on_its_real_run(stack: Stack) -> None:
    [certificate] = [f["resource"] for f in stack.results["cert-ok"]["findings"]]

    def fired() -> set[tuple[str, str, str]]:
        return {
            (a["alertname"], a["severity"], a.get("resource") or a.get("type", "")) for a in stack.prometheus.firing()
        }

    wanted = {
        ("CertificateExpiringSoon", "warning", certificate),  # 20 days left: inside 30, outside 7
        ("SecretRotationOverdue", "warning", "encryption_key"),
        ("RepoScannerNotRunning", "warning", ""),
        ("RepoSecretExposed", "critical", "secret"),
    }
    until(lambda: wanted <= fired(), "the jobs' own alerts")
    assert ("CertificateExpiringSoon", "critical", certificate) not in fired()


def test_every_dashboard_query_parses_and_returns_data(stack: Stack) -> None:
    queries = board_queries()
    assert len(queries) >= 15
    empty = lambda: [f"{board}: {title}" for board, title, expr in queries if not stack.prometheus.query(expr)]  # noqa: E731
    with contextlib.suppress(RuntimeError):
        until(lambda: not empty(), "every panel has data")
    assert empty() == []


def test_rules_and_dashboards_name_only_metrics_the_runs_pushed(stack: Stack) -> None:
    emitted = pushed_names(stack.pushgateway)
    assert {"security_job_runs_total", "push_time_seconds", "security_cost_avoided_usd"} <= emitted
    exprs = [expr for _, _, expr in board_queries()] + [r["expr"] for r in rules_of(ROOT)]
    assert unknown_metrics(exprs, emitted) == []
    # planted: a misspelt series name, in a panel and in a rule
    assert unknown_metrics(["max by (project) (security_cost_avoided_dollars)"], emitted) == [
        "security_cost_avoided_dollars"
    ]
    assert unknown_metrics(['security_job_duration_second{job_name="x"} > 600'], emitted) == [
        "security_job_duration_second"
    ]


def test_the_cost_by_project_label_exists(stack: Stack) -> None:
    projects = {r["metric"].get("project") for r in stack.prometheus.query("security_cost_avoided_usd")}
    assert projects == {"checkout"}
