"""Keycloak: the OpenID Connect token endpoint and the admin REST API for client secrets.

Paths as in the Keycloak Admin REST API: /realms/{realm}/protocol/openid-connect/token,
/admin/realms/{realm}/clients?clientId=, /admin/realms/{realm}/clients/{id},
/admin/realms/{realm}/clients/{id}/client-secret (GET, POST regenerate) and
.../client-secret/rotated (GET, DELETE), the secret-rotation policy of Keycloak 22+:
during the grace period both the new and the rotated secret obtain tokens.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-password-for-tests"


@dataclass
class Client:
    id: str
    client_id: str
    secret: str
    rotated: str | None = None

    def representation(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clientId": self.client_id,
            "enabled": True,
            "clientAuthenticatorType": "client-secret",
            "serviceAccountsEnabled": True,
            "publicClient": False,
            "protocol": "openid-connect",
        }


class FakeKeycloak(FakeServer):
    def __init__(self, rotation_policy: bool = True) -> None:
        super().__init__()
        self.rotation_policy = rotation_policy  # False: a server without rotated-secret support
        self.realms: dict[str, dict[str, Client]] = {"master": {}}
        self.admin_tokens: set[str] = set()
        self.route("POST", r"/realms/(?P<realm>[^/]+)/protocol/openid-connect/token")(self._token)
        base = r"/admin/realms/(?P<realm>[^/]+)/clients"
        self.route("GET", base)(self._admin(self._find))
        self.route("GET", base + r"/(?P<id>[^/]+)")(self._admin(self._get))
        self.route("PUT", base + r"/(?P<id>[^/]+)")(self._admin(self._update))
        self.route("GET", base + r"/(?P<id>[^/]+)/client-secret")(self._admin(self._get_secret))
        self.route("POST", base + r"/(?P<id>[^/]+)/client-secret")(self._admin(self._regenerate))
        self.route("GET", base + r"/(?P<id>[^/]+)/client-secret/rotated")(self._admin(self._get_rotated))
        self.route("DELETE", base + r"/(?P<id>[^/]+)/client-secret/rotated")(self._admin(self._drop_rotated))

    def add_client(self, realm: str, client_id: str, secret: str) -> Client:
        client = Client(str(uuid.uuid4()), client_id, secret)
        self.realms.setdefault(realm, {})[client.id] = client
        return client

    def client(self, realm: str, client_id: str) -> Client:
        return next(c for c in self.realms[realm].values() if c.client_id == client_id)

    # -- token endpoint ---------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        realm = request.groups["realm"]
        if realm not in self.realms:
            return Response(404, {"error": "Realm does not exist"})
        form = request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        grant = form.get("grant_type")
        if grant == "password" and realm == "master" and client_id == "admin-cli":
            if form.get("username") == ADMIN_USER and form.get("password") == ADMIN_PASSWORD:
                return self._issue(admin=True)
            return Response(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
        if grant != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
        match = [c for c in self.realms[realm].values() if c.client_id == client_id]
        if not match or client_secret not in {match[0].secret, match[0].rotated}:
            return Response(
                401,
                {"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"},
            )
        return self._issue(admin=realm == "master")

    def _issue(self, admin: bool) -> Response:
        token = secrets.token_urlsafe(24)
        if admin:
            self.admin_tokens.add(token)
        return Response(200, {"access_token": token, "expires_in": 300, "token_type": "Bearer", "scope": "profile"})

    # -- admin API --------------------------------------------------------------------
    def _admin(self, handler: Any) -> Any:
        def guarded(request: Request) -> Response:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.admin_tokens:
                return Response(401, {"error": "HTTP 401 Unauthorized"})
            if request.groups["realm"] not in self.realms:
                return Response(404, {"error": "Realm not found."})
            if "id" in request.groups and request.groups["id"] not in self.realms[request.groups["realm"]]:
                return Response(404, {"error": "Could not find client"})
            return handler(request)

        return guarded

    def _target(self, request: Request) -> Client:
        return self.realms[request.groups["realm"]][request.groups["id"]]

    def _find(self, request: Request) -> Response:
        wanted = request.query.get("clientId")
        clients = self.realms[request.groups["realm"]].values()
        return Response(200, [c.representation() for c in clients if wanted in (None, c.client_id)])

    def _get(self, request: Request) -> Response:
        return Response(200, self._target(request).representation())

    def _update(self, request: Request) -> Response:
        body = request.json()
        if "secret" in body:
            client = self._target(request)
            if self.rotation_policy:
                client.rotated = client.secret
            client.secret = body["secret"]
        return Response(204, b"")

    def _get_secret(self, request: Request) -> Response:
        return Response(200, {"type": "secret", "value": self._target(request).secret})

    def _regenerate(self, request: Request) -> Response:
        client = self._target(request)
        if self.rotation_policy:
            client.rotated = client.secret
        client.secret = secrets.token_urlsafe(24)
        return Response(200, {"type": "secret", "value": client.secret})

    def _get_rotated(self, request: Request) -> Response:
        if not self.rotation_policy:
            return Response(404, {"error": "unknown_error"})
        rotated = self._target(request).rotated
        if rotated is None:
            return Response(404, {"error": "Client does not have a rotated secret"})
        return Response(200, {"type": "secret", "value": rotated})

    def _drop_rotated(self, request: Request) -> Response:
        if not self.rotation_policy:
            return Response(404, {"error": "unknown_error"})
        self._target(request).rotated = None
        return Response(204, b"")
