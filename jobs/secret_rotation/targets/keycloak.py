"""A Keycloak confidential client: its secret set through the admin REST API, tested with a
client_credentials token.

Where the server has the client-secret rotation policy (Keycloak 22+), setting a secret
keeps the previous one valid as the "rotated" secret for the policy's grace period, so
consumers that still hold it keep working until they restart. A rollback drops the
rotated secret, so a value that failed its test stops working at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from jobs.core.errors import PermanentError, TransientError
from jobs.core.permissions import Permissions
from jobs.secret_rotation.targets import Data

TIMEOUT = httpx.Timeout(10.0)


class KeycloakClient:
    def __init__(self, spec: Any, value_key: str, ctx: Any) -> None:
        self.spec, self.value_key = spec, value_key
        self.base = spec.url.rstrip("/")
        self.name = f"keycloak_client:{spec.realm}/{spec.client_id}"

    # -- HTTP -------------------------------------------------------------------------
    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = httpx.request(method, url, timeout=TIMEOUT, **kwargs)
        except httpx.HTTPError as exc:
            raise TransientError(f"{self.name}: {what}: {type(exc).__name__}") from None
        if answer.status_code in (429, 502, 503, 504) or answer.status_code >= 500:
            raise TransientError(f"{self.name}: {what}: HTTP {answer.status_code}")
        return answer

    def _token(self, realm: str, form: dict[str, str], what: str) -> httpx.Response:
        return self._send("POST", f"{self.base}/realms/{realm}/protocol/openid-connect/token", what, data=form)

    def _admin_headers(self) -> dict[str, str]:
        s = self.spec
        if s.admin_client_secret:
            form = {
                "grant_type": "client_credentials",
                "client_id": s.admin_client_id,
                "client_secret": s.admin_client_secret.get_secret_value(),
            }
        else:
            form = {
                "grant_type": "password",
                "client_id": s.admin_client_id,
                "username": s.admin_username,
                "password": s.admin_password.get_secret_value(),
            }
        answer = self._token(s.admin_realm, form, "admin login")
        if answer.status_code != 200:
            raise PermanentError(f"{self.name}: admin login refused (HTTP {answer.status_code})")
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def _client_url(self, headers: dict[str, str]) -> str:
        clients = f"{self.base}/admin/realms/{self.spec.realm}/clients"
        answer = self._send("GET", clients, "find client", params={"clientId": self.spec.client_id}, headers=headers)
        if answer.status_code != 200:
            raise PermanentError(f"{self.name}: find client: HTTP {answer.status_code}")
        found = [c for c in answer.json() if c.get("clientId") == self.spec.client_id]
        if not found:
            raise PermanentError(f"{self.name}: no such client")
        return f"{clients}/{found[0]['id']}"

    def _value(self, data: Data) -> str:
        if not data.get(self.value_key):
            raise PermanentError(f"{self.name}: the secret has no `{self.value_key}`")
        return data[self.value_key]

    # -- protocol ---------------------------------------------------------------------
    def check(self, current: Data) -> None:
        self._client_url(self._admin_headers())
        self.test(current)

    def set(self, new: Data) -> None:
        headers = self._admin_headers()
        url = self._client_url(headers)
        answer = self._send("GET", url, "read client", headers=headers)
        if answer.status_code != 200:
            raise PermanentError(f"{self.name}: read client: HTTP {answer.status_code}")
        body = {**answer.json(), "secret": self._value(new)}
        answer = self._send("PUT", url, "set secret", json=body, headers=headers)
        if answer.status_code not in (200, 204):
            raise PermanentError(f"{self.name}: set secret: HTTP {answer.status_code}")

    def test(self, new: Data) -> None:
        form = {"grant_type": "client_credentials", "client_id": self.spec.client_id, "client_secret": self._value(new)}
        answer = self._token(self.spec.realm, form, "token")
        if answer.status_code != 200:
            raise TransientError(f"{self.name}: client_credentials refused (HTTP {answer.status_code})")

    def holds(self, data: Data) -> bool:
        """The client's own secret, read through the admin API: during the grace period the
        rotated one still obtains tokens, so a token proves nothing about which is held."""
        headers = self._admin_headers()
        url = self._client_url(headers) + "/client-secret"
        answer = self._send("GET", url, "read secret", headers=headers)
        if answer.status_code != 200:
            raise PermanentError(f"{self.name}: read secret: HTTP {answer.status_code}")
        return bool(answer.json().get("value") == self._value(data))

    def restore(self, old: Data) -> None:
        """Back to `old`, and the value that failed is no longer valid even as a rotated one."""
        self.set(old)
        headers = self._admin_headers()
        url = self._client_url(headers) + "/client-secret/rotated"
        answer = self._send("DELETE", url, "drop rotated secret", headers=headers)
        if answer.status_code not in (200, 204, 404):  # 404: no rotation policy, nothing rotated
            raise PermanentError(f"{self.name}: drop rotated secret: HTTP {answer.status_code}")

    def restart(self, at: datetime) -> None:
        """Clients fetch tokens with the secret they hold; nothing to restart here."""

    def wait_ready(self, deadline: float) -> None:
        """Nothing to wait for."""


def permissions(spec: Any) -> Permissions:
    """None that Vault, Kubernetes or AWS grant: the admin login needs the realm's
    `manage-clients` role (realm-management), which Keycloak grants."""
    return Permissions()
