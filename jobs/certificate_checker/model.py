"""Plain data the rules judge: parsed certificates and what each source observed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CertInfo:
    """One parsed X.509 certificate, reduced to what the rules need."""

    subject: str
    issuer: str
    serial: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    key_type: str  # RSA, EC, DSA, Ed25519, Ed448
    key_bits: int
    signature_hash: str | None  # sha256, sha1, md5; None for Ed25519/Ed448
    self_signed: bool
    is_ca: bool

    @property
    def sans(self) -> list[str]:
        return [*self.dns_names, *self.ip_addresses]

    def to_json(self) -> dict[str, Any]:
        """For the state DB cache (an issued certificate never changes under its serial)."""
        data = asdict(self)
        data["not_before"], data["not_after"] = self.not_before.isoformat(), self.not_after.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CertInfo:
        values = dict(data)
        values["dns_names"], values["ip_addresses"] = tuple(values["dns_names"]), tuple(values["ip_addresses"])
        values["not_before"] = datetime.fromisoformat(values["not_before"])
        values["not_after"] = datetime.fromisoformat(values["not_after"])
        return cls(**values)


@dataclass(frozen=True)
class Observation:
    """What one source saw at one place: a chain (leaf first), or why it saw nothing.

    `trusted` is None where trust is not judged (storage), else whether the presented
    chain leads to a trusted root; `trust_error` says why not. `hostname` is set for
    endpoints, the name clients ask for. `relied_on` indexes the presented issuers on the
    path a client builds (None: every presented certificate after the leaf that is not a
    self-signed root); `tls_version` is the protocol an endpoint negotiated.
    """

    resource: str
    source: str
    chain: tuple[CertInfo, ...] = ()
    hostname: str | None = None
    trusted: bool | None = None
    trust_error: str | None = None
    chain_error: str | None = None  # a stored chain whose certificates do not link
    unreachable: str | None = None
    superseded_by: str | None = None  # a newer certificate for the same names, same source
    relied_on: tuple[int, ...] | None = None
    tls_version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def leaf(self) -> CertInfo | None:
        return self.chain[0] if self.chain else None
