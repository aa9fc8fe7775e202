"""`vault:` references from a real OpenBao; no secret value in logs, results or notifications."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from jobs.core import logs, redact
from jobs.core.errors import ConfigError
from jobs.core.resolve import load_settings
from tests import services
from tests.fakes.base import Response
from tests.fakes.slack import FakeSlack
from tests.helpers import outbox, run_sample_process, write_config
from tests.sample_jobs import write_items


def vault_config(tmp_path: Path, openbao: services.Vault, **settings: object) -> str:
    token_file = tmp_path / "vault-token"
    token_file.write_text(openbao.token)
    return write_config(tmp_path / "c.yaml", {"vault": {"url": openbao.url, "token": f"file:{token_file}"}, **settings})


def test_vault_references_resolve_and_never_appear_in_output(
    openbao: services.Vault, slack: FakeSlack, tmp_path: Path
) -> None:
    state_url = f"sqlite:///{tmp_path}/state-from-vault.db"
    openbao.client().secrets.kv.v2.create_or_update_secret(
        path="ops/alerting", mount_point="secret", secret={"webhook": slack.webhook_url, "db": state_url}
    )
    slack.fail_next("POST", "/services/.*", Response(400, f"invalid_token for {slack.webhook_url}"))
    config = vault_config(
        tmp_path,
        openbao,
        state_db_url="vault:secret/ops/alerting#db",
        notifications={"slack": {"webhook_url": "vault:secret/ops/alerting#webhook"}, "file": {}},
    )
    store = tmp_path / "store"
    write_items(store, {"id": "a", "severity": "critical", "message": "expires in 2 days"})
    out, err = run_sample_process(store, "--apply", "--json", "--config", config, cwd=tmp_path).communicate(timeout=60)
    result = json.loads(out)
    assert result["status"] == "partial"  # slack refused, the outbox took it
    assert result["errors"][0]["message"].endswith("invalid_token for ***")
    assert Path(f"{tmp_path}/state-from-vault.db").exists()  # the state DB URL came from Vault
    captured = out + err + json.dumps(outbox(tmp_path))
    for secret in (slack.webhook_url, state_url, openbao.token):
        assert secret not in captured
    assert slack.webhook_posts == []
    rerun = run_sample_process(store, "--apply", "--json", "--config", config, cwd=tmp_path)
    assert json.loads(rerun.communicate(timeout=60)[0])["alerts_sent"] == ["slack", "file"]
    assert slack.webhook_posts[0]["text"].startswith("[CRITICAL] store:a: expires in 2 days")  # via the resolved URL


def test_a_missing_vault_key_names_the_setting_and_the_reference(openbao: services.Vault, tmp_path: Path) -> None:
    openbao.client().secrets.kv.v2.create_or_update_secret(
        path="ops/pd", mount_point="secret", secret={"key": "k" * 32}
    )
    config = vault_config(
        tmp_path, openbao, notifications={"pagerduty": {"routing_key": "vault:secret/ops/pd#routing"}}
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.problems == [
        "notifications.pagerduty.routing_key: reference 'vault:secret/ops/pd': key 'routing' not in vault secret/ops/pd (keys: key)"
    ]


def test_a_vault_that_refuses_the_token_is_a_config_error(openbao: services.Vault, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        {"vault": {"url": openbao.url, "token": "not-a-valid-token"}, "pushgateway_url": "vault:secret/ops/x#url"},
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.problems == [
        "pushgateway_url: reference 'vault:secret/ops/x': vault refused to read secret/ops/x (permission denied)"
    ]
    assert "not-a-valid-token" not in str(caught.value)


def test_json_logs_carry_job_run_and_event_and_scrub_secrets() -> None:
    stream = io.StringIO()
    logs.configure("info", stream)
    redact.register("hunter2-password")
    with logs.log_context(job="ttl-teardown", run_id="r-1"):
        logging.getLogger("secops.test").warning(
            "login_failed", extra={"fields": {"dsn": "postgresql://u:hunter2-password@db"}}
        )
    line = json.loads(stream.getvalue())
    assert line["job"] == "ttl-teardown" and line["run_id"] == "r-1"
    assert line["event"] == "login_failed" and line["level"] == "warning"
    assert line["fields"] == {"dsn": "postgresql://u:***@db"}


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_readable_lines_and_progress() -> None:
    stream = Tty()
    logs.configure("info", stream)
    with logs.log_context(job="certificate-checker", run_id="r-2"):
        logging.getLogger("secops.test").info("checked", extra={"fields": {"count": 3}})
    assert stream.getvalue().split(" ", 1)[1].strip() == "info    certificate-checker: checked count=3"
    progress = logs.Progress("applying", 2, stream)
    progress.step()
    progress.step()
    assert stream.getvalue().endswith("\rapplying [1/2]\rapplying [2/2]\n")
    quiet = io.StringIO()
    silent = logs.Progress("applying", 2, quiet)
    silent.step()
    assert quiet.getvalue() == ""


def test_a_secret_with_quotes_or_non_ascii_is_masked_in_json_logs_too() -> None:
    stream = io.StringIO()
    logs.configure("info", stream)
    secret = 'pa"ss\\wörd-123'
    redact.register(secret)
    logging.getLogger("secops.test").info("connect", extra={"fields": {"password": secret}})
    assert json.loads(stream.getvalue())["fields"] == {"password": "***"}
    assert redact.scrub(json.dumps({"a": secret})) == '{"a": "***"}'
