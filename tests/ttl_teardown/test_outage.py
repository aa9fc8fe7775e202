"""AWS lost mid-run: a real moto server killed after the third deletion. The run stops acting
after a few connection failures, skips the rest with the reason, and reports within a minute."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.core.apply import BREAKER_LIMIT
from jobs.core.clients.aws import aws_client
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from tests import services
from tests.helpers import run_cli
from tests.ttl_teardown.fleet import REGION, T0, tags, ttl_config

DOOMED = 10


@pytest.fixture
def own_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """A moto server of this test's own, as a process it can kill."""
    port = services.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    services.wait_until(lambda: services.http_ok(f"{endpoint}/moto-api/"), 30, "moto")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield proc
    finally:
        services.stop_pid(proc)


def test_a_dead_endpoint_stops_the_deletions_after_a_few_failures_and_the_run_ends_partial_within_a_minute(
    own_moto: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    ec2 = aws_client("ec2", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for _ in range(DOOMED):
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags(T0 - timedelta(days=1))}],
        )
    cfg = ttl_config(tmp_path, max_actions_percent=100)
    warned = run_cli(JOBS["ttl-teardown"], ["--config", cfg, "--now", (T0 + timedelta(days=3)).isoformat(), "--apply"])
    assert warned["exit_code"] == 0

    client = aws_client("ec2", REGION)
    terminated: list[Any] = []

    def kill_after_third(**_: Any) -> None:
        terminated.append(1)
        if len(terminated) == 3:
            os.kill(own_moto.pid, signal.SIGKILL)
            own_moto.wait(10)

    client.meta.events.register("after-call.ec2.TerminateInstances", kill_after_third)
    runtime = Runtime(clients={f"aws:ec2:{REGION}": client})  # real sleeps: the clock is the point
    began = time.monotonic()
    result = run_cli(
        JOBS["ttl-teardown"], ["--config", cfg, "--now", (T0 + timedelta(days=5)).isoformat(), "--apply"], runtime
    )
    took = time.monotonic() - began

    assert took < 60, f"{took:.0f}s to report"
    assert result["status"] == "partial" and result["exit_code"] == 1
    outcomes = [a["outcome"] for a in result["actions"] if a["kind"] == "delete"]
    assert outcomes == ["done"] * 3 + ["failed"] * BREAKER_LIMIT + ["skipped"] * (DOOMED - 3 - BREAKER_LIMIT)
    failed = [a for a in result["actions"] if a["outcome"] == "failed"]
    assert all("Could not connect to the endpoint URL" in a["error"] for a in failed)
    skipped = [a for a in result["actions"] if a["outcome"] == "skipped"]
    assert all(
        a["reason"].startswith(f"not attempted: {BREAKER_LIMIT} actions in a row could not connect") for a in skipped
    )
