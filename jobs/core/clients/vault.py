"""hvac clients: one place for URL, token, namespace, TLS and timeout."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from jobs.core.errors import PermanentError, TransientError


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
    # the CA bundle requests would have taken from the environment, taken once (see _proxies_once)
    verify = ca_file or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    client = hvac.Client(url=url, token=token, namespace=namespace, timeout=timeout, verify=verify)
    _proxies_once(client.adapter.session, url)
    return client


def section_client(section: Any, top: Any) -> Any:
    """The client a job's Vault section describes (`url`, `token`, `namespace`,
    `timeout_seconds`); what it leaves unset comes from the top-level `vault` section, then
    VAULT_ADDR/VAULT_TOKEN."""
    token = section.token or top.token
    return vault_client(
        section.url or top.url,
        token.get_secret_value() if token else None,
        section.namespace or top.namespace,
        top.ca_file,
        section.timeout_seconds,
    )


def _proxies_once(session: Any, url: str) -> None:
    """The proxy settings of the environment, read once rather than on every request:
    requests rescans the whole environment per call (a third of a millisecond each, a
    rotation makes five)."""
    import urllib.request
    from urllib.parse import urlsplit

    session.trust_env = False
    bypass = urllib.request.proxy_bypass(urlsplit(url).hostname or "")
    session.proxies = {} if bypass else urllib.request.getproxies()


def vault_call(fn: Callable[[], Any], what: str) -> Any:
    """hvac's errors in our terms: None for a path that does not exist, TransientError for
    outages and throttling (retried), PermanentError for a refusal or a bad request."""
    import hvac.exceptions as errors
    import requests

    try:
        return fn()
    except errors.InvalidPath:
        return None
    except (
        errors.VaultDown,
        errors.InternalServerError,
        errors.BadGateway,
        errors.RateLimitExceeded,
        requests.ConnectionError,
        requests.Timeout,
    ) as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from None
    except errors.Forbidden:
        raise PermanentError(f"{what} (permission denied)") from None
    except (errors.VaultError, requests.RequestException) as exc:
        raise PermanentError(
            f"{what}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        ) from None


def kv2_data(client: Any, mount: str, path: str, version: int | None = None) -> dict[str, str] | None:
    """A KV v2 secret's data (the latest version, or `version`), retried when Vault is
    briefly away; None when it, or that version, does not exist or was deleted."""
    from jobs.core.retry import call_with_retry

    read = lambda: client.secrets.kv.v2.read_secret_version(  # noqa: E731
        path=path, version=version, mount_point=mount, raise_on_deleted_version=True
    )
    answer = call_with_retry(lambda: vault_call(read, f"vault refused to read {mount}/{path}"))
    if answer is None:
        return None
    return {str(k): str(v) for k, v in (answer["data"]["data"] or {}).items()}
