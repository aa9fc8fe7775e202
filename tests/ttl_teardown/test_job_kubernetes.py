"""ttl-teardown on Kubernetes (the API fake through the real client), and its metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from tests.fakes.kubernetes import FakeKubernetes
from tests.helpers import run_cli, write_config
from tests.test_metrics import sample_value
from tests.ttl_teardown.fleet import K8S_LABELS

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
OWNER = {"owner": "dana@example.com"}


def namespace(fake: FakeKubernetes, name: str, created: datetime, **labels: str) -> None:
    fake.add(
        "namespaces",
        {
            "metadata": {
                "name": name,
                "labels": {**K8S_LABELS, "ttl": "2d", **labels},
                "annotations": OWNER,
                "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        },
    )


def run(fake: FakeKubernetes, tmp_path: Path, when: datetime, *argv: str) -> dict[str, Any]:
    settings = {
        "metrics_textfile": str(tmp_path / "{job}.prom"),
        "ttl_teardown": {
            "aws": {"enabled": False},
            "kubernetes": {"enabled": True, "kinds": ["namespace"]},
            "max_actions_percent": 100,
        },
    }
    api = k8s.ApiClient(k8s.Configuration(host=fake.url))
    argv = ("--config", write_config(tmp_path / "c.yaml", settings), "--now", when.isoformat(), *argv)
    return run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None, clients={"kubernetes": api}))


def test_expired_namespaces_are_warned_then_deleted_and_protected_ones_never(
    kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    old = T0 - timedelta(days=3)
    namespace(kubernetes_api, "pr-41", old)
    namespace(kubernetes_api, "pr-42", T0)
    namespace(kubernetes_api, "kube-system", old)  # protected whatever its labels say
    namespace(kubernetes_api, "prod-shop", old, environment="prod")
    first = run(kubernetes_api, tmp_path, T0, "--apply")
    assert [a["kind"] for a in first["actions"]] == ["warn"]
    kept = {f["resource"]: f["details"]["kept_reason"] for f in first["findings"] if f["details"].get("kept_reason")}
    assert kept == {
        "k8s:namespace/kube-system": "whitelisted namespace kube-system",
        "k8s:namespace/prod-shop": "environment=prod",
    }
    second = run(kubernetes_api, tmp_path, T0 + timedelta(days=1, hours=1), "--apply")
    deletions = [(a["resource"], a["outcome"]) for a in second["actions"] if a["kind"] == "delete"]
    assert deletions == [("k8s:namespace/pr-41", "done")]
    assert [a["kind"] for a in second["actions"]] == ["warn", "delete"]  # pr-42 is within 24 h now
    assert kubernetes_api.get("namespaces", "", "pr-41") is None
    for kept_name in ("kube-system", "prod-shop", "pr-42"):
        assert kubernetes_api.get("namespaces", "", kept_name) is not None
    text = (tmp_path / "ttl-teardown.prom").read_text()
    assert sample_value(text, "security_resources_deleted_total", type="k8s:namespace", project="checkout") == 1
    assert sample_value(text, "security_cost_avoided_usd", project="checkout") == 0
    assert sample_value(text, "security_resources_expiring", within="24h") == 1  # pr-42
