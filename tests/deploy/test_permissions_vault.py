"""The Vault side of the generated policies on a real OpenBao: the settings' `vault:` references
(declared.reference_permissions) are in every job's policy, so settings holding them load with a
token of only that policy and fail, naming the denial, without each read; and the generated HCL
means on the server exactly what the generator meant, whatever a purpose or path holds."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from jobs.core.deploy import policies
from jobs.core.errors import ConfigError
from jobs.core.permissions import Permissions, VaultGrant
from jobs.core.resolve import load_settings
from tests import services
from tests.grants import generated, needs, vault_less, vault_token
from tests.helpers import write_config


def referencing(tmp_path: Path, openbao: services.Vault, token: str, base: str) -> str:
    """Settings whose notification secrets are references into `base` (one folder non-ASCII)."""
    return write_config(
        tmp_path / f"refs-{uuid.uuid4().hex[:6]}.yaml",
        {
            "vault": {"url": openbao.url, "token": token},
            "notifications": {
                "slack": {"webhook_url": f"vault:secret/{base}/slack#webhook_url"},
                "email": {
                    "smtp_host": "smtp.internal",
                    "sender": "secops@example.test",
                    "password": f"vault:secret/{base}/équipe/smtp#password",
                },
            },
        },
    )


@pytest.fixture
def stored(openbao: services.Vault) -> str:
    base = f"refs-{uuid.uuid4().hex[:8]}"
    kv = openbao.client().secrets.kv.v2
    kv.create_or_update_secret(
        f"{base}/slack", {"webhook_url": "https://hooks.example.test/T0/B0/x"}, mount_point="secret"
    )
    kv.create_or_update_secret(f"{base}/équipe/smtp", {"password": "pw-Équipe-42"}, mount_point="secret")
    return base


@pytest.mark.parametrize("job", ["certificate-checker", "secret-rotation", "ttl-teardown"])
def test_settings_with_vault_references_load_with_a_token_of_only_the_generated_policy(
    job: str, openbao: services.Vault, stored: str, tmp_path: Path
) -> None:
    deployment = referencing(tmp_path, openbao, "the-deployments-own", stored)
    token = vault_token(openbao, generated("vault", job, deployment))
    settings = load_settings(referencing(tmp_path, openbao, token.token, stored))
    assert settings.notifications.slack.webhook_url.get_secret_value() == "https://hooks.example.test/T0/B0/x"
    assert settings.notifications.email.password.get_secret_value() == "pw-Équipe-42"


def test_each_reference_read_taken_away_and_loading_names_the_denied_reference(
    openbao: services.Vault, stored: str, tmp_path: Path
) -> None:
    deployment = referencing(tmp_path, openbao, "the-deployments-own", stored)
    needed = needs("certificate-checker", deployment)
    assert [g.path for g in needed.vault] == [f"secret/data/{stored}/slack", f"secret/data/{stored}/équipe/smtp"]
    for drop, path in enumerate(g.path for g in needed.vault):
        token = vault_token(openbao, vault_less(needed, drop))
        with pytest.raises(ConfigError) as refused:
            load_settings(referencing(tmp_path, openbao, token.token, stored))
        assert "permission denied" in str(refused.value) and path.replace("/data/", "/", 1) in str(refused.value)


def test_a_purpose_written_to_look_like_a_rule_grants_nothing_on_the_server(
    openbao: services.Vault, stored: str
) -> None:
    """OpenBao's own HCL parser reads the generated policy: a purpose holding a newline and a
    rule stays one comment line, so the token reads the declared secret and nothing beside it."""
    sneaky = f'audit\npath "secret/data/{stored}/*" {{ capabilities = ["read"] }}\n'
    grant = VaultGrant(f"secret/data/{stored}/slack", ("read",), sneaky)
    limited = vault_token(openbao, policies.vault_policy(Permissions(vault=(grant,)), title=sneaky)).client()
    kv = limited.secrets.kv.v2
    assert kv.read_secret_version(f"{stored}/slack", mount_point="secret", raise_on_deleted_version=True)
    with pytest.raises(Exception, match="permission denied"):
        kv.read_secret_version(f"{stored}/équipe/smtp", mount_point="secret", raise_on_deleted_version=True)
