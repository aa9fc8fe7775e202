"""The zip `make lambda-package` builds runs on its own: unpacked into a read-only folder (as
/var/task is) and imported by an interpreter that sees nothing else (`-I -S`: no site-packages,
no PYTHONPATH), its `handler.handler` runs a scheduled event and a Map state's shard event
against moto and returns the result, writing nothing into the package. The wheels are built for Lambda (CPython 3.11,
manylinux2014 x86_64), which this machine can run; elsewhere the test skips."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from jobs.core.clients.aws import aws_client
from jobs.demo.planting import aws_key_pair, new_repo, password
from tests import services
from tests.helpers import write_config
from tests.ttl_teardown.fleet import REGION, T0, tags

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = [sys.executable, str(ROOT / "scripts" / "lambda_package.py")]
ZIP_MARKS = [
    pytest.mark.slow,
    pytest.mark.timeout(600),  # pip resolves and unpacks ~50 MB of wheels: about two minutes here under load
    pytest.mark.skipif(
        (platform.machine(), sys.version_info[:2]) != ("x86_64", (3, 11)), reason="the zip is for x86_64 CPython 3.11"
    ),
]
F = TypeVar("F", bound=Callable[..., None])


def zip_test(test: F) -> F:
    """A test of the built zip: slow, and only where the zip's platform runs."""
    for mark in ZIP_MARKS:
        test = mark(test)
    return test


#: what runs in the unpacked folder: Lambda's bootstrap, reduced to importing the handler and calling it
BOOTSTRAP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
print(json.dumps(handler.handler(json.loads(sys.argv[2]), None)))
"""


@pytest.fixture(scope="module")
def task_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The zip built by the Makefile's own script, with a settings file bundled, unpacked
    read-only."""
    where = tmp_path_factory.mktemp("lambda")
    settings = {
        "ttl_teardown": {"regions": [REGION], "aws": {"types": ["ec2:instance"]}},
        "certificate_checker": {"acm": {"enabled": True, "regions": [REGION]}},
    }
    config = write_config(where / "secops.yaml", settings)
    package = where / "secops-jobs-lambda.zip"
    subprocess.run([*PACKAGE, "--output", str(package), "--config", config], check=True, cwd=where)
    root = where / "task"
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(root)
    assert {"handler.py", "secops.yaml", "jobs/ttl_teardown/pricing.yaml", "jobs/core/aws_lambda.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "kubernetes/aio/"))]
    assert package.stat().st_size < 250e6
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield root
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def invoke(
    root: Path, event: dict[str, Any], moto: services.Moto, scratch: Path, python: str = sys.executable, **extra: str
) -> dict[str, Any]:
    """One invocation as Lambda makes it: cwd the task root, settings from SECOPS_CONFIG,
    state in a database outside the (read-only) package. `extra`: environment set on top."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(scratch),
        "AWS_ENDPOINT_URL": moto.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SECOPS_CONFIG": str(root / "secops.yaml"),
        "SECOPS_STATE_DB_URL": f"sqlite:///{scratch / 'state.db'}",
        **extra,
    }
    # -B: Lambda cannot write bytecode into /var/task (and root here would, whatever chmod says)
    command = [python, "-I", "-S", "-B", "-c", BOOTSTRAP, str(root), json.dumps(event)]
    before = sorted(root.rglob("*"))
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(root.rglob("*")) == before, "the run wrote into the package (read-only on Lambda; root ignores chmod)"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@zip_test
def test_the_unpacked_zip_alone_runs_a_scheduled_teardown_dry_run_against_moto(
    task_root: Path, moto: services.Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ec2 = aws_client("ec2", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    launched = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags(T0.replace(year=2025))}])  # fmt: skip
    doomed = launched["Instances"][0]["InstanceId"]
    event = {"job": "ttl-teardown", "args": {"dry_run": True, "now": T0.isoformat()}}
    result = invoke(task_root, event, moto, tmp_path)
    assert result["exit_code"] == 0 and result["job"] == "ttl-teardown" and result["dry_run"] is True
    planned = [a for a in result["actions"] if doomed in json.dumps(a)]
    assert [a["outcome"] for a in planned] == ["planned"], result["actions"]
    state = ec2.describe_instances(InstanceIds=[doomed])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running"  # a dry run


@zip_test
def test_the_unpacked_zip_runs_one_shard_as_the_map_state_invokes_it(
    task_root: Path, moto: services.Moto, tmp_path: Path
) -> None:
    event = {"job": "certificate-checker", "args": {"shard": "1/2"}}
    result = invoke(task_root, event, moto, tmp_path)
    assert result["exit_code"] == 0 and result["shard"] == "1/2", result


#: Lambda's interpreter is no venv's: the system CPython 3.11 (with -I -S) sees only the zip,
#: and no semgrep beside it, as on Lambda
SYSTEM_PYTHON = "/usr/bin/python3.11"


@zip_test
def test_the_unpacked_zip_scans_repositories_without_semgrep_and_serves_a_signed_push(
    task_root: Path, moto: services.Moto, tmp_path: Path
) -> None:
    """The scanner extra is in the zip, semgrep is not (too large for a zip: SAST on Lambda needs
    the container image): a scheduled run finds the planted key and says SAST did not run and
    why, and the /gitlab-push route answers a push GitHub signed, through the bundled handler."""
    if not Path(SYSTEM_PYTHON).is_file():
        pytest.skip(f"{SYSTEM_PYTHON} is not installed")
    names = {n.split("/")[0] for n in zipfile.ZipFile(next(task_root.parent.glob("*.zip"))).namelist()}
    assert {"re2.py", "univers", "cyclonedx", "gitlab", "jsonschema"} <= names and "semgrep" not in names
    repo = new_repo(tmp_path / "app")
    first = repo.commit({"README.md": "# app\n"}, "first")
    key_id, secret = aws_key_pair()
    second = repo.commit({".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"}, "keys")
    webhook = password(40)
    section = {
        "targets": [{"path": str(repo.root), "name": "shop/app"}],
        "push": {"github_secret": webhook},
        "scanners": {"sast": {"enabled": False}},  # no semgrep in a zip: enabled, it would fail the run
    }
    outbox = {"file": {"path": str(tmp_path / "outbox.jsonl")}}  # not the default: /var/task is read-only
    config = write_config(tmp_path / "repo.yaml", {"repo_scanner": section, "notifications": outbox})
    env = {"SECOPS_CONFIG": config, "PATH": "/usr/bin:/bin"}
    result = invoke(task_root, {"job": "repo-scanner", "args": {}}, moto, tmp_path, SYSTEM_PYTHON, **env)
    assert result["exit_code"] == 0, result["errors"]
    scanners = result["summary"]["repositories"]["shop/app"]["scanners"]
    assert scanners["secrets"] == "ran" and scanners["sast"] == "disabled"
    assert {f["details"]["path"] for f in result["findings"] if f["type"] == "secret"} == {".env"}
    body = json.dumps({"ref": "refs/heads/main", "before": first, "after": second,
                       "repository": {"full_name": "shop/app", "default_branch": "main"}})  # fmt: skip
    signature = "sha256=" + hmac.new(webhook.encode(), body.encode(), hashlib.sha256).hexdigest()
    event = {"rawPath": "/gitlab-push", "headers": {"x-github-event": "push", "x-hub-signature-256": signature},
             "requestContext": {"http": {"method": "POST"}}, "body": body, "isBase64Encoded": False}  # fmt: skip
    answer = invoke(task_root, event, moto, tmp_path, SYSTEM_PYTHON, **env)
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["repository"] == "shop/app"
    assert secret not in json.dumps(result) + json.dumps(answer)


@pytest.mark.parametrize("settings", [None, "ttl_teardown: {max_ttl_days: -1}\n"])
def test_a_missing_or_invalid_settings_file_is_one_line_and_no_zip(tmp_path: Path, settings: str | None) -> None:
    config = tmp_path / "secops.yaml"
    if settings is not None:
        config.write_text(settings)
    output = tmp_path / "out" / "secops-jobs-lambda.zip"
    done = subprocess.run([*PACKAGE, "--output", str(output), "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    assert done.stderr.startswith(f"lambda-package: --config {config}: ") and len(done.stderr.splitlines()) == 1
