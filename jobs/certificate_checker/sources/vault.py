"""Vault / OpenBao PKI mounts: every issued, unrevoked certificate (`vault:<mount>/<serial>`).

Vault lists serials only, so each certificate costs a read; what was read once is
cached in the state DB under its serial (an issued certificate never changes), and a
run reads only serials it has not seen. Revocations are taken from the mount's revoked
list on every run, so a cached certificate revoked later drops out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.parse import split_bundle
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.clients.vault import section_client, vault_call
from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import Permissions, VaultGrant
from jobs.core.retry import call_with_retry
from jobs.core.state.caches import cache_get, cache_put


def _list(client: Any, path: str) -> list[str] | None:
    answer = call_with_retry(lambda: vault_call(lambda: client.list(path), f"list {path}"))
    return None if answer is None else list(answer.get("data", {}).get("keys", []))


def _read(client: Any, mount: str, serial: str) -> dict[str, Any]:
    """The cache entry for one serial: {"revoked": true}, {"cert": CertInfo JSON}, or {"error": why}
    (one serial that cannot be read or parsed is its own error; the mount goes on)."""
    path = f"{mount}/cert/{serial}"
    try:
        answer = call_with_retry(lambda: vault_call(lambda: client.read(path), f"read {path}"))
    except (PermanentError, TransientError) as exc:
        return {"error": str(exc)}
    data = (answer or {}).get("data") or {}
    if int(data.get("revocation_time") or 0) > 0:
        return {"revoked": True}
    parsed = next(iter(split_bundle(str(data.get("certificate") or "").encode())), None)
    if parsed is None or parsed.info is None:
        return {"error": parsed.error if parsed else "no certificate in the answer"}
    return {"cert": parsed.info.to_json()}


def _cached(entry: dict[str, Any]) -> CertInfo | None:
    """A cache entry written by another version may not fit: it is read again, not trusted."""
    try:
        return CertInfo.from_json(entry["cert"])
    except (KeyError, TypeError, ValueError):
        return None


def read_mount(client: Any, mount: str, ctx: JobContext) -> Inventory[Observation]:
    inventory: Inventory[Observation] = Inventory()
    serials = _list(client, f"{mount}/certs")
    if serials is None:  # 404: no certificates yet, or no such mount
        if vault_call(lambda: client.read(f"{mount}/cert/ca"), f"read {mount}/cert/ca") is None:
            inventory.errors.append(RunError(f"vault:{mount}", f"no PKI mount at {mount}"))
        return inventory
    serials = [s for s in serials if ctx.owns(f"vault:{mount}/{s}")]
    revoked = set(_list(client, f"{mount}/certs/revoked") or [])
    namespace = f"vault-pki:{mount}"[:64]
    known = cache_get(ctx.state, namespace, serials)
    known = {s: v for s, v in known.items() if "cert" not in v or _cached(v) is not None}
    fresh = {s: _read(client, mount, s) for s in serials if s not in known and s not in revoked}
    cacheable = {s: v for s, v in fresh.items() if "error" not in v}
    cache_put(ctx.state, namespace, cacheable, datetime.now(UTC))  # bookkeeping time, not a decision input
    for serial in serials:
        entry = fresh.get(serial) or known.get(serial) or {"revoked": True}
        resource = f"vault:{mount}/{serial}"
        if serial in revoked or entry.get("revoked"):
            continue
        if "error" in entry:
            inventory.errors.append(RunError(resource, entry["error"]))
            continue
        info = _cached(entry)
        if info is None:
            inventory.errors.append(RunError(resource, "no certificate in the answer"))
            continue
        inventory.items.append(Observation(resource, "vault", (info,), extra={"store": mount, "serial": serial}))
    return inventory


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    import hvac

    v = cfg.vault
    client = ctx.client("vault-pki", hvac.Client, lambda: section_client(v, ctx.settings.vault))
    inventory: Inventory[Observation] = Inventory()
    for mount in v.mounts:
        try:
            part = read_mount(client, mount.strip("/"), ctx)
        except (PermanentError, TransientError) as exc:
            inventory.errors.append(RunError(f"vault:{mount}", str(exc)))
            continue
        inventory.items.extend(part.items)
        inventory.errors.extend(part.errors)
    return inventory


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """Per PKI mount: its serials and its revoked serials listed. Reading a certificate
    (`cert/<serial>`, `cert/ca`) needs no grant: Vault and OpenBao serve those unauthenticated."""
    grants: list[VaultGrant] = []
    for mount in (m.strip("/") for m in cfg.vault.mounts):
        grants += [
            VaultGrant(f"{mount}/certs", ("list",), "the serials issued"),
            VaultGrant(f"{mount}/certs/revoked", ("list",), "the serials revoked"),
        ]
    return Permissions.of(grants)
