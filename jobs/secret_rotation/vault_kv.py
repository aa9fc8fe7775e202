"""Vault / OpenBao KV v2 for rotation: list, metadata, versions with check-and-set.

Every call has the client's timeout and bounded retries; a refused token or a missing
path says which secret it was about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from jobs.core import redact
from jobs.core.clients.vault import kv2_data, vault_call
from jobs.core.errors import PermanentError
from jobs.core.model import RunError
from jobs.core.permissions import Permissions, VaultGrant
from jobs.core.retry import call_with_retry
from jobs.secret_rotation.model import KV_DEFAULT_MAX_VERSIONS, ManagedSecret, secret_values
from jobs.secret_rotation.settle import versions_room

READERS = 8  # metadata reads in flight: one HTTP round trip each


class Kv:
    def __init__(self, client: Any, mount: str) -> None:
        self.client, self.mount = client, mount.strip("/")
        self._kv = client.secrets.kv.v2

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call_with_retry(lambda: vault_call(fn, f"{what} in {self.mount}/"))

    # -- read -------------------------------------------------------------------------
    def walk(self, folder: str) -> Iterator[str]:
        """Every secret path under `folder` (depth first; folders end with `/`)."""
        folder = folder.strip("/")
        answer = self._call(lambda: self._kv.list_secrets(path=folder, mount_point=self.mount), f"list {folder}")
        for key in (answer or {}).get("data", {}).get("keys", []):
            path = f"{folder}/{key}" if folder else key
            if key.endswith("/"):
                yield from self.walk(path)
            else:
                yield path

    def metadata(self, path: str) -> dict[str, Any] | None:
        answer = self._call(
            lambda: self._kv.read_secret_metadata(path=path, mount_point=self.mount), f"read metadata {path}"
        )
        return None if answer is None else dict(answer["data"])

    def secret(self, path: str) -> ManagedSecret | None:
        meta = self.metadata(path)
        if meta is None:
            return None
        created = {
            int(number): _time(info["created_time"])
            for number, info in (meta.get("versions") or {}).items()
            if not info.get("destroyed") and not info.get("deletion_time")
        }
        custom = {str(k): str(v) for k, v in (meta.get("custom_metadata") or {}).items()}
        latest, keep = int(meta.get("current_version") or 0), int(meta.get("max_versions") or 0)
        return ManagedSecret(self.mount, path, custom, latest, created, keep)

    def max_versions(self, secret: ManagedSecret) -> int:
        """How many versions KV keeps of `secret`: its own setting, else the mount's, else
        KV's default; the oldest beyond it are destroyed on the next write."""
        if secret.max_versions > 0:
            return secret.max_versions
        answer = self._call(
            lambda: self._kv.read_configuration(mount_point=self.mount), "read the mount's max_versions"
        )
        mount = int(((answer or {}).get("data") or {}).get("max_versions") or 0)
        return mount or KV_DEFAULT_MAX_VERSIONS

    def check_room(self, secret: ManagedSecret) -> None:
        """A rotation writes up to two versions; KV must still keep the one consumers hold."""
        keep = self.max_versions(secret)
        needed = versions_room(keep, secret.latest_version, secret.current_version)
        if needed is not None:
            raise PermanentError(
                f"{secret.path}: max_versions {keep} would destroy version {secret.current_version}, which its "
                f"consumers hold, during a rotation (it writes up to 2 versions): set the secret's max_versions "
                f"to {needed} or more"
            )

    def inventory(self, folders: list[str]) -> tuple[list[ManagedSecret], list[RunError]]:
        """Every secret under `folders` with its metadata, read `READERS` at a time."""
        paths: list[str] = []
        errors: list[RunError] = []
        for folder in folders:
            try:
                paths.extend(self.walk(folder))
            except PermanentError as exc:
                errors.append(RunError(f"vault:{self.mount}/{folder}", str(exc)))
        found: list[ManagedSecret] = []
        with ThreadPoolExecutor(READERS) as pool:
            for outcome in pool.map(self._try_secret, paths):
                if isinstance(outcome, RunError):
                    errors.append(outcome)
                elif outcome is not None:
                    found.append(outcome)
        return found, errors

    def _try_secret(self, path: str) -> ManagedSecret | RunError | None:
        try:
            return self.secret(path)
        except Exception as exc:  # noqa: BLE001 - one unreadable secret is an error line, the rest go on
            return RunError(f"vault:{self.mount}/{path}", f"{type(exc).__name__}: {exc}")

    def data(self, path: str, version: int) -> dict[str, str]:
        data = kv2_data(self.client, self.mount, path, version)
        if data is None:
            raise PermanentError(f"{self.mount}/{path}: version {version} does not exist")
        for value in secret_values(data):  # scrubbed from every log line and result from now on; names are not
            redact.register(value)
        return data

    # -- write ------------------------------------------------------------------------
    def write(self, path: str, data: Mapping[str, str], cas: int) -> int:
        """A new version, only if the latest is still `cas` (another writer loses, never both)."""
        answer = self._call(
            lambda: self._kv.create_or_update_secret(path=path, secret=dict(data), cas=cas, mount_point=self.mount),
            f"write {path} (cas {cas})",
        )
        return int(answer["data"]["version"])

    def set_custom(self, path: str, custom: Mapping[str, str]) -> None:
        """Replace the custom metadata (KV v2 keeps one map per secret, not per version)."""
        self._call(
            lambda: self._kv.update_metadata(path=path, custom_metadata=dict(custom), mount_point=self.mount),
            f"write metadata {path}",
        )


def permissions(mount: str, folders: Sequence[str]) -> Permissions:
    """What `Kv` does under `folders` of `mount`, in KV v2's policy paths: list and read
    metadata (the inventory), read versions, write a version and the custom metadata (a
    rotation updates secrets that exist: never `create`), read the mount's max_versions."""
    mount = mount.strip("/")
    grants = [VaultGrant(f"{mount}/config", ("read",), "the mount's max_versions, before a rotation writes")]
    for folder in folders:
        under = f"{folder.strip('/')}/*".lstrip("/")  # "apps/" -> "apps/*"; "" (the whole mount) -> "*"
        grants += [
            VaultGrant(f"{mount}/metadata/{under}", ("list", "read", "update"), "inventory; current/pending versions"),
            VaultGrant(f"{mount}/data/{under}", ("read", "update"), "the value to rotate; the new version (cas)"),
        ]
    return Permissions.of(grants)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # Vault's nanoseconds are cut to microseconds
