"""Declared grants turned into what the real services enforce, to prove them complete: an
OpenBao token holding exactly a declared Vault policy, an IAM user holding exactly the declared
actions (moto with IAM enforcement), and every declaration with one capability taken away."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from jobs.core.permissions import AwsGrant, KubernetesGrant, VaultGrant
from tests.services import Vault

G = TypeVar("G", AwsGrant, KubernetesGrant, VaultGrant)


def vault_policy(grants: Sequence[VaultGrant]) -> str:
    return "\n".join(f'path "{g.path}" {{\n  capabilities = {json.dumps(list(g.capabilities))}\n}}' for g in grants)


def vault_token(vault: Vault, grants: Sequence[VaultGrant]) -> Vault:
    """The same server with a token that holds only `grants` (not even the `default` policy)."""
    client = vault.client()
    name = f"declared-{uuid.uuid4().hex[:8]}"
    client.sys.create_or_update_policy(name, vault_policy(grants) or 'path "nothing/" { capabilities = ["deny"] }')
    token = client.auth.token.create(policies=[name], no_default_policy=True, ttl="30m")["auth"]["client_token"]
    return Vault(vault.url, str(token))


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


def iam_policy(grants: Sequence[AwsGrant]) -> str:
    """moto authorises the action only (ACM requests are checked against resource `*`), so
    each statement allows its actions on `*`: the resource patterns are not proven here."""
    statements = [{"Effect": "Allow", "Action": list(g.actions), "Resource": "*"} for g in grants]
    return json.dumps(
        {"Version": "2012-10-17", "Statement": statements or [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    )
