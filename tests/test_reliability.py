"""One retry layer per external system, counted: each logical call makes exactly the attempts
the README's reliability table names, against a server on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from jobs.core.clients.aws import MAX_ATTEMPTS, aws_client
from jobs.core.clients.kubernetes import RETRIES
from jobs.core.registry import JOBS
from jobs.core.retry import RetryPolicy
from jobs.core.runtime import Runtime
from notifications.message import Message
from notifications.pagerduty import PagerDutyNotifier
from notifications.router import Router
from notifications.settings import NotificationSettings, PagerDutySettings, SlackSettings
from notifications.slack import SlackNotifier
from tests import services
from tests.certificate_checker.conftest import run_checker
from tests.fakes.base import Response
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import FakeSlack
from tests.helpers import run_cli, write_config
from tests.secret_rotation.kit import folder, make_role, put, run, settings
from tests.secret_rotation.proxy import outage_proxy
from tests.secret_rotation.vault_proxy import vault_outage
from tests.services import Postgres, Vault
from tests.ttl_teardown.fleet import REGION, T0, tags, ttl_config
from tests.ttl_teardown.rewriting_proxy import Rewrite, rewriting_proxy

THROTTLED = (
    b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
    b"</Message></Error></Errors><RequestID>1</RequestID></Response>"
)
ALERT = Message(severity="critical", title="a certificate expires in 5 days", body="", source="certificate-checker")


def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def aws(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> services.Moto:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    return moto


def expired_instance() -> None:
    """One instance whose TTL ran out a day before T0: the resource both AWS-side tests act on."""
    ec2 = aws_client("ec2", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags(T0 - timedelta(days=1))}],
    )


def test_a_throttled_delete_makes_botocore_s_attempts_and_the_runner_does_not_run_it_again(
    aws: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expired_instance()
    cfg = ttl_config(tmp_path, max_actions_percent=100)
    warned = run_cli(JOBS["ttl-teardown"], ["--config", cfg, "--now", (T0 + timedelta(days=3)).isoformat(), "--apply"])
    assert warned["exit_code"] == 0

    terminations: list[bytes] = []

    def throttle(body: bytes) -> bool:
        if b"Action=TerminateInstances" not in body:
            return False
        terminations.append(body)
        return True

    keep: Rewrite = lambda _, body: body  # noqa: E731
    with rewriting_proxy(aws.endpoint, keep, throttle, refusal=(503, THROTTLED)) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = run_cli(
            JOBS["ttl-teardown"],
            ["--config", cfg, "--now", (T0 + timedelta(days=5)).isoformat(), "--apply"],
            Runtime(sleep=lambda _: None),
        )

    deletes = [a for a in result["actions"] if a["kind"] == "delete"]
    assert [a["outcome"] for a in deletes] == ["failed"] and "RequestLimitExceeded" in deletes[0]["error"]
    assert len(terminations) == MAX_ATTEMPTS + 1  # botocore's 3 calls, not 3 x the runner's 4


def test_an_owner_mail_the_server_keeps_refusing_is_tried_retry_attempts_times_with_backoff_once(
    aws: services.Moto, smtp: services.Smtp, tmp_path: Path
) -> None:
    expired_instance()
    email = smtp.email()
    section = {"regions": [REGION], "aws": {"types": ["ec2:instance"]}}
    cfg = write_config(tmp_path / "c.yaml", {"ttl_teardown": section, "notifications": {"email": email}})
    smtp.refuse = 100
    waits: list[float] = []
    result = run_cli(
        JOBS["ttl-teardown"],
        ["--config", cfg, "--now", (T0 + timedelta(days=3)).isoformat(), "--apply"],
        Runtime(sleep=waits.append),  # the run's sleep: the mail's backoff waits on it, not on time.sleep
    )

    [mail] = [a for a in result["actions"] if a["kind"] != "delete"]
    assert mail["outcome"] == "failed" and "421" in mail["error"]
    attempts = NotificationSettings().retry_attempts
    assert len(smtp.data_at) == attempts  # not attempts x the runner's 4
    assert len(waits) == attempts - 1 and all(wait >= 0.5 for wait in waits), waits  # backoff between the tries


def test_a_slack_message_whose_connection_keeps_dropping_is_tried_retry_attempts_times(slack: FakeSlack) -> None:
    with outage_proxy(int(slack.url.rsplit(":", 1)[1])) as proxy:
        proxy.cut(0)  # every connection accepted and closed at once
        hook = slack.webhook_url.replace(slack.url, f"http://127.0.0.1:{proxy.port}")
        notifier = SlackNotifier(SlackSettings(webhook_url=hook))
        delivery = Router({"critical": ["slack"]}, {"slack": notifier}, RetryPolicy(attempts=3), no_sleep).deliver(
            [ALERT]
        )
        assert delivery.delivered == set() and "slack unreachable" in delivery.errors[0][1]
        assert proxy.connections == 3  # the router's 3, not 3 x slack-sdk's 2


def test_a_pagerduty_event_answered_503_is_tried_retry_attempts_times(pagerduty: FakePagerDuty) -> None:
    pagerduty.fail_next("POST", "/v2/enqueue", Response(503, {"message": "busy"}), times=10)
    notifier = PagerDutyNotifier(PagerDutySettings(routing_key="R" * 32, events_url=pagerduty.events_url))
    delivery = Router({"critical": ["pagerduty"]}, {"pagerduty": notifier}, RetryPolicy(attempts=3), no_sleep).deliver(
        [ALERT]
    )
    assert delivery.delivered == set()
    assert len(pagerduty.calls("POST", "/v2/enqueue")) == 3


def managed_db_password(openbao: Vault, postgres: Postgres, password: str) -> tuple[str, str]:
    """A fresh folder holding one db_password secret whose role logs in with `password`."""
    base = folder()
    path = f"{base}/db"
    put(openbao, path, {"username": make_role(postgres, password), "password": password}, type="db_password")
    return base, path


def test_a_vault_read_that_keeps_failing_in_a_rotation_is_tried_by_call_with_retry_alone(
    openbao: Vault, postgres: Postgres, tmp_path: Path
) -> None:
    base, path = managed_db_password(openbao, postgres, "before-the-outage-1")
    target = {"secret": path, "kind": "postgres", "dsn": postgres.url(), "connect_timeout_seconds": 2}
    with vault_outage(int(openbao.url.rsplit(":", 1)[1])) as proxy:
        config = settings(openbao, [f"{base}/"], [target])
        config["secret_rotation"]["vault"]["url"] = proxy.url
        proxy.cut(2)  # the listing and the plan's metadata pass; the rotation's first read does not
        result = run(tmp_path, config, "--apply")
        attempts = 1 + proxy.refused  # the request the cut dropped, then every retry of it
    [rotation] = result["actions"]
    assert rotation["outcome"] == "failed", rotation
    assert attempts == RetryPolicy().attempts  # call_with_retry's 4, not 4 x the runner's 4


def test_a_kubernetes_list_answered_429_is_retried_by_the_client_s_pool_alone(
    kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": kubernetes_api.url}}],
                "users": [{"name": "checker", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "checker"}}],
                "current-context": "fake",
            }
        )
    )
    busy = Response(429, {"kind": "Status", "reason": "TooManyRequests", "message": "slow down"}, {"Retry-After": "0"})
    kubernetes_api.fail_next("GET", "/api/v1/secrets", busy, times=100)
    result = run_checker(tmp_path, {"kubernetes": {"enabled": True, "kubeconfig": str(kubeconfig)}})
    assert "HTTP 429" in result["errors"][0]["message"]
    assert len(kubernetes_api.calls("GET", "/api/v1/secrets")) == RETRIES + 1  # urllib3's 4, not 4 x 4


def test_a_consumer_that_keeps_refusing_its_check_is_tried_by_the_rotation_alone(
    openbao: Vault, postgres: Postgres, tmp_path: Path
) -> None:
    base, path = managed_db_password(openbao, postgres, "before-the-outage-2")
    with outage_proxy(postgres.port) as proxy:
        dsn = f"postgresql://{postgres.admin}@127.0.0.1:{proxy.port}/postgres?sslmode=disable&gssencmode=disable"
        target = {"secret": path, "kind": "postgres", "dsn": dsn, "connect_timeout_seconds": 2}
        proxy.cut(0)  # every connection accepted and closed at once
        result = run(tmp_path, settings(openbao, [f"{base}/"], [target]), "--apply")
        connections = proxy.connections
    [rotation] = result["actions"]
    assert rotation["outcome"] == "failed", rotation
    assert connections == 3  # the rotation's 3 tries of the check, not 3 x the runner's 4
