"""The ttl-teardown sandbox: moto's AWS in this process, a small fleet with every case.

Expired and warned a day ago (deleted now: an instance, its volume, a versioned bucket),
expiring within 48 h (its owner is warned), protected (prod, restricted, opted out,
whitelisted), a tag violation (a 90-day ttl), and young resources left alone. One
warning is seeded as history, as an earlier run would have recorded it.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from jobs.core.clients.aws import aws_client
from jobs.core.invoke import RunRequest
from jobs.core.registry import JOBS
from jobs.core.runtime import RunOptions
from jobs.core.state.engine import StateStore
from jobs.core.state.notices import record_warning
from jobs.ttl_teardown.rules import warning_key

REGION = "us-east-1"


def _tags(created: datetime, ttl: str, owner: str = "dana@example.com", **extra: str) -> list[dict[str, str]]:
    tags = {
        "environment": "dev",
        "owner": owner,
        "project": "checkout",
        "cost-center": "cc-42",
        "ttl": ttl,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "auto-teardown": "true",
        "data-class": "internal",
        **extra,
    }
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _start_moto() -> str:
    """moto's server on a free loopback port, its per-request access log silenced (werkzeug
    logs each call at INFO to stderr unless its logger already has a level)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="sandbox",
        AWS_SECRET_ACCESS_KEY="sandbox",  # noqa: S106 - moto's sandbox accepts any credentials
        AWS_DEFAULT_REGION=REGION,
    )
    return endpoint


def _fleet(now: datetime) -> dict[str, Any]:
    ec2, s3 = aws_client("ec2", REGION), aws_client("s3", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def instance(kind: str, tags: list[dict[str, str]]) -> str:
        named = [*tags, {"Key": "Name", "Value": kind}]
        spec = [{"ResourceType": "instance", "Tags": named}, {"ResourceType": "volume", "Tags": named}]
        answer = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", TagSpecifications=spec
        )
        return str(answer["Instances"][0]["InstanceId"])

    old = now - timedelta(days=9)
    doomed = instance("expired-ci-runner", _tags(old, "7d"))
    volume = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=200,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(old, "7d")}],
    )["VolumeId"]
    s3.create_bucket(Bucket="checkout-scratch-artifacts")
    s3.put_bucket_tagging(Bucket="checkout-scratch-artifacts", Tagging={"TagSet": _tags(old, "7d")})
    s3.put_bucket_versioning(Bucket="checkout-scratch-artifacts", VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        s3.put_object(Bucket="checkout-scratch-artifacts", Key="build.tar", Body=f"build {n}".encode())
    instance("feature-env-soon", _tags(now - timedelta(days=6, hours=12), "7d", owner="sam@example.com"))
    instance("prod-api", _tags(old, "7d", environment="prod"))
    instance("customer-db-copy", _tags(old, "7d", **{"data-class": "restricted"}))
    instance("opted-out", _tags(old, "7d", **{"auto-teardown": "false"}))
    instance("core-bastion", _tags(old, "7d", critical="true"))
    instance("forever-env", _tags(old, "90d"))
    for n in range(14):
        instance(f"young-{n}", _tags(now - timedelta(hours=3), "14d"))
    account = aws_client("sts", REGION).get_caller_identity()["Account"]
    return {
        "arns": [
            f"arn:aws:ec2:{REGION}:{account}:instance/{doomed}",
            f"arn:aws:ec2:{REGION}:{account}:volume/{volume}",
            "arn:aws:s3:::checkout-scratch-artifacts",
        ],
        "expires": old + timedelta(days=7),
    }


def prepare(directory: Path) -> RunRequest:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    endpoint = _start_moto()
    fleet = _fleet(now)
    state_url = f"sqlite:///{directory / 'state.db'}"
    store = StateStore(state_url)
    store.upgrade(now)
    for arn in fleet["arns"]:  # an earlier run warned the owner a day and a half ago
        key = warning_key("expired", fleet["expires"])
        record_warning(store, "ttl-teardown", arn, key, now - timedelta(hours=36), {"owner": "dana@example.com"})
    settings = {
        "log_level": "warning",
        "state_db_url": state_url,
        "notifications": {"file": {"path": str(directory / "outbox.jsonl")}},
        "ttl_teardown": {
            "dry_run": True,
            "aws": {"enabled": False},
            "regions": [REGION],
            "max_actions_percent": 50,
            "whitelist": {"tags": [{"key": "critical", "value": "true"}]},
            "snooze": {
                "hmac_key": "sandbox-snooze-key-not-a-secret-0123456789",
                "base_url": "https://snooze.sandbox.test",
            },
        },
    }
    config = directory / "secops.yaml"
    config.write_text(_SAVED_HEADER.format(endpoint=endpoint) + yaml.safe_dump(settings, sort_keys=False))
    # What the saved file leaves out, only for this process: AWS on (at moto), and act.
    os.environ[AWS_SWITCH] = "true"
    return RunRequest(JOBS["ttl-teardown"], RunOptions(dry_run=False), str(config))


#: the environment variable the demo turns AWS on with; the saved file has it off
AWS_SWITCH = "SECOPS_TTL_TEARDOWN__AWS__ENABLED"

_SAVED_HEADER = f"""\
# Written by `python -m jobs demo` for its sandbox, a moto server at {{endpoint}} that
# stopped when the demo ended. AWS endpoints and credentials come from the environment
# (AWS_ENDPOINT_URL, profiles, instance roles), never from this file, so re-run as it was
# run it would read, and with --apply delete in, whatever account your credentials reach.
# It is therefore saved pointing at nothing: AWS off (aws.enabled: false) and plan only
# (dry_run: true). The demo ran it with AWS_ENDPOINT_URL={{endpoint}},
# {AWS_SWITCH}=true and --apply. Run `python -m jobs demo` again to see it again.
"""
