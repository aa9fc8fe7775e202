"""Extensions: owner only, bounded, recorded, written back; explained (the snooze route:
test_snooze_route.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.resolve import load_settings
from jobs.ttl_teardown.commands import main as ttl_command
from jobs.ttl_teardown.extend import explain, extend
from jobs.ttl_teardown.extension_rules import ExtensionRules, extension_refusal
from jobs.ttl_teardown.lookup import ExtensionRefused, Unreadable
from jobs.ttl_teardown.rules import parse_ttl
from tests.helpers import ROOT, write_config
from tests.ttl_teardown.fleet import OWNER, REGION, T0, tags, ttl_config

RULES = ExtensionRules()
Form = Literal["NFC", "NFD"]
KEY = "extend-test-snooze-key-0123456789abcdef"


@pytest.mark.parametrize(
    ("by", "days", "granted", "refusal"),
    [
        (OWNER, 7, [], None),
        ("DANA@example.com", 14, [7], None),
        ("eve@example.com", 7, [], "only the owner (dana@example.com) may extend this resource"),
        (OWNER, 5, [], "an extension is 7 or 14 days, not 5"),
        (OWNER, 7, [7, 14], "already extended 2 times (the most is 2)"),
    ],
)
def test_extension_rules(by: str, days: int, granted: list[float], refusal: str | None) -> None:
    assert extension_refusal({"Owner": OWNER}, by, days, granted, RULES) == refusal


def test_the_total_is_bounded_and_an_extended_ttl_tag_still_parses() -> None:
    rules = ExtensionRules(allowed_days=(30,), max_count=3, max_total_days=60)
    refusal = extension_refusal({"owner": OWNER}, OWNER, 30, [30, 30], rules)
    assert refusal == "60 days already granted; 30 more would pass the 60-day limit"
    ttl, why = parse_ttl("7d+14d", 30)
    assert why is None and ttl == timedelta(days=7)  # the days granted come from the state DB


def settings(fleet: dict[str, Any]) -> Any:
    return load_settings(ttl_config(fleet["dir"], snooze={"hmac_key": KEY, "base_url": "https://x.test"}))


def test_the_owner_extends_twice_and_no_more_and_the_tag_shows_it(fleet: dict[str, Any]) -> None:
    s, doomed = settings(fleet), fleet["ids"]["doomed"]
    before = explain(s, doomed, T0)
    assert before["expires_at"] == "2026-11-24T02:00:00Z" and before["verdict"] == "warn"  # within 48 h
    first = extend(s, doomed, 7, "demo on Friday", OWNER, T0)
    assert (first["expires_at"], first["ttl_tag"], first["extensions"]) == ("2026-12-01T02:00:00Z", "2d+7d", 1)
    tags = fleet["ec2"].describe_instances(InstanceIds=[doomed])["Reservations"][0]["Instances"][0]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}["ttl"] == "2d+7d"
    assert explain(s, doomed, T0)["expires_at"] == "2026-12-01T02:00:00Z"
    extend(s, doomed, 14, "still needed", OWNER, T0)
    with pytest.raises(ExtensionRefused, match="already extended 2 times"):
        extend(s, doomed, 7, "again", OWNER, T0)
    with pytest.raises(ExtensionRefused, match="only the owner"):
        extend(s, fleet["ids"]["fresh0"], 7, "mine now", "eve@example.com", T0)


def test_the_command_line_explains_and_refuses_with_exit_codes(
    fleet: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings(fleet)
    config = str(fleet["dir"] / "c.yaml")
    assert ttl_command(["explain", fleet["ids"]["prod"], "--config", config, "--now", T0.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == "environment=prod"
    code = ttl_command(
        ["extend", fleet["ids"]["doomed"], "--days", "9", "--reason", "x", "--by", OWNER, "--config", config]
    )
    assert code == 1 and "refused: an extension is 7 or 14 days, not 9" in capsys.readouterr().err


def test_the_job_help_lists_explain_and_extend() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jobs.ttl_teardown", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "python -m jobs.ttl_teardown explain RESOURCE" in proc.stdout
    assert "python -m jobs.ttl_teardown extend RESOURCE --days N --reason TEXT --by EMAIL" in proc.stdout
    assert "Name tag" in proc.stdout and "--apply" in proc.stdout


def test_explain_and_extend_find_an_ec2_instance_by_its_name_tag(fleet: dict[str, Any]) -> None:
    s, doomed = settings(fleet), fleet["ids"]["doomed"]
    assert explain(s, "doomed", T0)["resource"].endswith(f":instance/{doomed}")
    assert explain(s, doomed, T0)["name"] == doomed  # the short id still works
    assert extend(s, " doomed ", 7, "demo on Friday", OWNER, T0)["resource"].endswith(doomed)


def test_a_name_tag_shared_by_two_resources_is_refused_naming_both(fleet: dict[str, Any]) -> None:
    image = fleet["ec2"].describe_images()["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": [*tags(T0 - timedelta(days=1)), {"Key": "name", "Value": "doomed"}]}]
    twin = fleet["ec2"].run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=spec)
    twin_id = twin["Instances"][0]["InstanceId"]
    with pytest.raises(ExtensionRefused, match="'doomed' names 2 resources") as refused:
        explain(settings(fleet), "doomed", T0)
    assert twin_id in str(refused.value) and fleet["ids"]["doomed"] in str(refused.value)


@pytest.mark.parametrize("name", ["prod", "restricted", "opted-out", "whitelisted", "long"])
def test_extend_refuses_a_resource_that_is_never_deleted_and_records_nothing(fleet: dict[str, Any], name: str) -> None:
    s = load_settings(ttl_config(fleet["dir"], whitelist={"tags": [{"key": "critical", "value": "true"}]}))
    resource = fleet["ids"][name]
    with pytest.raises(ExtensionRefused, match=r"never deleted|kept while its tags have problems"):
        extend(s, resource, 7, "keep it", OWNER, T0)
    assert explain(s, resource, T0)["extension_days"] == 0
    found = fleet["ec2"].describe_instances(InstanceIds=[resource])["Reservations"][0]["Instances"][0]
    assert "+" not in {t["Key"]: t["Value"] for t in found["Tags"]}["ttl"]


def test_the_command_line_refuses_to_extend_prod_saying_it_is_never_deleted(
    fleet: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    config = ttl_config(fleet["dir"])
    argv = ["extend", fleet["ids"]["prod"], "--days", "7", "--reason", "x", "--by", OWNER, "--config", config]
    assert ttl_command([*argv, "--now", T0.isoformat()]) == 1
    err = capsys.readouterr().err
    assert "refused:" in err and "is never deleted (environment=prod): there is nothing to extend" in err


def test_an_unreadable_aws_is_reported_as_unreadable_not_as_absent(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nobody listens on: AWS is down
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", down)
    clients = {"aws:account": "123456789012", f"aws:ec2:{REGION}": aws_client("ec2", REGION, max_attempts=1)}
    with pytest.raises(Unreadable, match="could not read the inventory") as failed:
        explain(settings(fleet), fleet["ids"]["doomed"], T0, clients)
    assert "not in the inventory" not in str(failed.value) and f"aws:{REGION}:ec2:instance" in str(failed.value)


def test_the_command_line_says_the_inventory_could_not_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section = {"aws": {"enabled": False}, "kubernetes": {"enabled": True, "kubeconfig": str(tmp_path / "none")}}
    config = write_config(tmp_path / "c.yaml", {"state_db_url": f"sqlite:///{tmp_path}/s.db", "ttl_teardown": section})
    assert ttl_command(["explain", "k8s:pr-1/deployment/web", "--config", config]) == 1
    err = capsys.readouterr().err
    assert "explain failed: could not read the inventory (kubernetes: no Kubernetes configuration" in err
    assert "not in the inventory" not in err and "nothing was changed" in err


def test_a_resource_nobody_has_is_not_in_the_inventory(fleet: dict[str, Any]) -> None:
    with pytest.raises(ExtensionRefused, match="'i-0000' is not in the inventory") as refused:
        explain(settings(fleet), "i-0000", T0)
    assert not isinstance(refused.value, Unreadable)


def _launch_named(fleet: dict[str, Any], name: str) -> str:
    image = fleet["ec2"].describe_images()["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": [*tags(T0 - timedelta(days=1)), {"Key": "Name", "Value": name}]}]
    answer = fleet["ec2"].run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=spec)
    return str(answer["Instances"][0]["InstanceId"])


@pytest.mark.parametrize("typed", ["NFC", "NFD"])
@pytest.mark.parametrize("tagged", ["NFC", "NFD"])
def test_a_unicode_name_tag_is_found_however_its_accents_were_typed(
    fleet: dict[str, Any], tagged: Form, typed: Form
) -> None:
    """A console stores "Démo café" composed, a macOS terminal may type it decomposed: the
    same name to a person, so the same resource."""
    wanted = _launch_named(fleet, unicodedata.normalize(tagged, "Démo café ünïcode"))
    found = explain(settings(fleet), unicodedata.normalize(typed, "Démo café ünïcode"), T0)
    assert found["resource"].endswith(f":instance/{wanted}")


def test_a_name_matched_while_part_of_the_inventory_is_unreadable_is_not_taken_for_the_only_one(
    fleet: dict[str, Any], moto: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bucket `checkout-assets` cannot be read and an instance carries the Name tag
    `checkout-assets`: extending "checkout-assets" must not extend the instance in its place."""
    _launch_named(fleet, "checkout-assets")
    aws_client("s3").create_bucket(Bucket="checkout-assets", CreateBucketConfiguration={"LocationConstraint": REGION})
    with socket.socket() as sock:  # a port nobody listens on: S3 is down
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", down)
    clients = {f"aws:s3:{REGION}": aws_client("s3", REGION, max_attempts=1)}
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    s = load_settings(ttl_config(fleet["dir"], aws={"types": ["ec2:instance", "s3:bucket"]}))
    with pytest.raises(Unreadable, match="could not read the inventory") as failed:
        extend(s, "checkout-assets", 7, "demo", OWNER, T0, clients)
    assert "'checkout-assets'" in str(failed.value)
    with pytest.raises(Unreadable):
        explain(s, "checkout-assets", T0, clients)
    assert "names only" in str(failed.value) and "give its id" in str(failed.value)
    assert explain(s, "arn:aws:s3:::checkout-assets", T0)["type"] == "s3:bucket"  # S3 back: the bucket
    arn = f"arn:aws:ec2:{REGION}:123456789012:instance/{fleet['ids']['doomed']}"
    assert explain(s, arn, T0, clients)["resource"] == arn  # an id is unique however much could be read
