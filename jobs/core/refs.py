"""`vault:<mount>/<path>#<key>` and `file:<path>` references, resolved once at start-up.

Every resolved value is registered with the redactor, so it can never reach a log
line, a result or a notification, whatever field it lands in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs.core import redact
from jobs.core.clients.vault import kv2_data, vault_client
from jobs.core.errors import PermanentError, TransientError

VAULT_PREFIX = "vault:"
FILE_PREFIX = "file:"


class ReferenceErrors(ValueError):
    """Several unresolvable references, one line each (each names its key)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def resolve_file(ref: str) -> str:
    path = Path(ref[len(FILE_PREFIX) :]).expanduser()
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None


class VaultReader:
    """Reads KV v2 secrets for references; one hvac client and one read per path."""

    def __init__(self, vault_cfg: dict[str, Any]) -> None:
        self._cfg = vault_cfg
        self._client: Any = None
        self._cache: dict[str, dict[str, Any]] = {}

    def _connect(self) -> Any:
        cfg = self._cfg
        return vault_client(
            cfg.get("url"),
            cfg.get("token"),
            cfg.get("namespace"),
            cfg.get("ca_file"),
            float(cfg.get("timeout_seconds", 10)),
        )

    def read(self, ref: str) -> str:
        body = ref[len(VAULT_PREFIX) :]
        location, sep, key = body.partition("#")
        mount, slash, path = location.strip("/").partition("/")
        if not sep or not key or not slash or not path:
            raise ValueError("expected vault:<mount>/<path>#<key>")
        if location not in self._cache:
            self._cache[location] = self._read_kv2(mount, path)
        data = self._cache[location]
        if key not in data:
            raise ValueError(f"key '{key}' not in vault {location} (keys: {', '.join(sorted(data))})")
        return str(data[key])

    def _read_kv2(self, mount: str, path: str) -> dict[str, Any]:
        if self._client is None:
            self._client = self._connect()
        try:
            data = kv2_data(self._client, mount, path)
        except (PermanentError, TransientError) as exc:
            raise ValueError(str(exc)) from None
        if data is None:
            raise ValueError(f"vault {mount}/{path} does not exist")
        return data


def resolve_tree(data: Any, vault_cfg: dict[str, Any]) -> Any:
    """A copy of `data` with every reference string replaced by its value.

    Raises ReferenceErrors naming each key that could not be resolved.
    """
    problems: list[str] = []
    vault = VaultReader(vault_cfg)
    readers: dict[str, Callable[[str], str]] = {FILE_PREFIX: resolve_file, VAULT_PREFIX: vault.read}

    def walk(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, f"{key}.{k}" if key else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{key}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, str):
            for prefix, reader in readers.items():
                if node.startswith(prefix):
                    try:
                        value = reader(node)
                    except ValueError as exc:
                        problems.append(f"{key}: reference {node.split('#')[0]!r}: {exc}")
                        return node
                    redact.register(value)
                    return value
        return node

    resolved = walk(data, "")
    if problems:
        raise ReferenceErrors(problems)
    return resolved
