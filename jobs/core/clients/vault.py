"""hvac clients: one place for URL, token, namespace, TLS and timeout."""

from __future__ import annotations

import os
from typing import Any


def vault_client(
    url: str | None,
    token: str | None,
    namespace: str | None = None,
    ca_file: str | None = None,
    timeout: float = 10.0,
) -> Any:
    """A client for `url` (default $VAULT_ADDR) with `token` (default $VAULT_TOKEN).

    Raises ValueError naming what is missing, so settings can report it as a key.
    """
    import hvac  # heavy: only when Vault is used

    url = url or os.environ.get("VAULT_ADDR")
    token = token or os.environ.get("VAULT_TOKEN")
    if not url or not token:
        raise ValueError("no Vault to read it from: set vault.url and vault.token (or VAULT_ADDR/VAULT_TOKEN)")
    return hvac.Client(url=url, token=token, namespace=namespace, timeout=timeout, verify=ca_file or True)
