"""A PostgreSQL role: `ALTER ROLE ... PASSWORD` through the admin DSN, tested by a real login.

The password is sent as a SCRAM-SHA-256 verifier computed here, so the plain value never
reaches the server's statement log or `pg_stat_activity`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from jobs.core.errors import PermanentError, TransientError
from jobs.core.permissions import Permissions
from jobs.secret_rotation.targets import Data, Rejected

ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` PostgreSQL stores (RFC 5802)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


class PostgresRole:
    def __init__(self, spec: Any, value_key: str, ctx: Any) -> None:
        self.spec, self.value_key = spec, value_key
        self.name = f"postgres:{spec.secret}"

    def _role(self, data: Data) -> tuple[str, str]:
        if not data.get("username"):
            raise PermanentError(f"{self.name}: the secret has no `username`")
        if not data.get(self.value_key):
            raise PermanentError(f"{self.name}: the secret has no `{self.value_key}`")
        return data["username"], data[self.value_key]

    def _connect(self, **override: Any) -> Any:
        import psycopg

        dsn = self.spec.dsn.get_secret_value()
        try:
            return psycopg.connect(dsn, connect_timeout=self.spec.connect_timeout_seconds, autocommit=True, **override)
        except psycopg.ProgrammingError:  # libpq quotes the word it stumbled on: maybe a piece of the password
            raise PermanentError(f"{self.name}: its dsn is not a connection string libpq can parse") from None
        except psycopg.OperationalError as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "password authentication failed" in text:
                raise Rejected(f"{self.name}: {_scrub(text, override)}") from None
            if "does not exist" in text:
                raise PermanentError(f"{self.name}: {_scrub(text, override)}") from None
            raise TransientError(f"{self.name}: {_scrub(text, override)}") from None

    def check(self, current: Data) -> None:
        self.test(current)

    def set(self, new: Data) -> None:
        from psycopg import sql

        user, password = self._role(new)
        statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(user), sql.Literal(_stored(password)))
        with self._connect() as conn:
            try:
                conn.execute(statement)
            except Exception as exc:  # noqa: BLE001 - psycopg's errors carry no value: the verifier is hashed
                raise PermanentError(f"{self.name}: ALTER ROLE {user}: {type(exc).__name__}") from None

    restore = set  # the old value is set like any other

    def test(self, new: Data) -> None:
        user, password = self._role(new)
        with self._connect(user=user, password=password) as conn:
            conn.execute("SELECT 1")

    def holds(self, data: Data) -> bool:
        """A single-password role holds exactly the value it logs in with."""
        try:
            self.test(data)
        except Rejected:
            return False
        return True

    def restart(self, at: datetime) -> None:
        """New connections use the new password; pools reconnect on their own schedule."""

    def wait_ready(self, deadline: float) -> None:
        """Nothing to wait for."""


def _stored(password: str) -> str:
    """A verifier where SASLprep leaves the password unchanged (ASCII), else the plain text."""
    return scram_verifier(password) if password.isascii() else password


def _scrub(text: str, override: dict[str, Any]) -> str:
    password = override.get("password")
    return text.replace(password, "[redacted]") if password else text


def permissions(spec: Any) -> Permissions:
    """None that Vault, Kubernetes or AWS grant: the admin DSN's role must be allowed to
    `ALTER ROLE` the rotated one (its owner, or CREATEROLE), which the database grants."""
    return Permissions()
