"""Does a presented chain lead to a trusted root? Judged apart from dates and hostname.

Expiry and hostname are separate, pure rules (so `--now` moves them); this answers only
the trust question, with the system roots plus `ca_bundle`, at an instant when the
presented certificates are all valid, so an expired certificate is still "trusted but
expired" rather than one vague failure.

The profile is the one OpenSSL's default verification (and so curl and Python's `ssl`)
applies, not the CA/Browser Forum's: an issuer must be a CA (basicConstraints CA:TRUE)
and sign with an algorithm clients accept (SHA-1 signatures are refused, as OpenSSL 3
does at its default security level), but a private CA without keyUsage, subject or
authority key identifiers is trusted, as those clients trust it.
"""

from __future__ import annotations

import ssl
import threading
import warnings
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError

from jobs.certificate_checker.messages import plain
from jobs.certificate_checker.parse import split_bundle
from jobs.certificate_checker.signatures import issued_by
from jobs.core.errors import ConfigError


def _is_ca(policy: object, cert: x509.Certificate, value: x509.BasicConstraints | None) -> None:
    if value is None or not value.ca:
        raise ValueError("an issuer that is not a CA (basicConstraints CA:FALSE)")


#: OpenSSL's profile: issuers are CAs; keyUsage, SKI and AKI optional (the WebPKI one demands them)
_CA_POLICY = ExtensionPolicy.permit_all().require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _is_ca)
_EE_POLICY = ExtensionPolicy.permit_all()  # the leaf's names and usages are judged by the rules


def load_roots(ca_bundle: str | None) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    system = ssl.get_default_verify_paths().cafile
    if system and Path(system).exists():
        with warnings.catch_warnings():  # some distributions still ship a root with a non-positive serial
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            roots += [p.cert for p in split_bundle(Path(system).read_bytes(), describe=False) if p.cert is not None]
    if ca_bundle:
        try:
            extra = [p.cert for p in split_bundle(Path(ca_bundle).read_bytes(), describe=False) if p.cert is not None]
        except OSError as exc:
            raise ConfigError(f"certificate_checker.ca_bundle: cannot read {ca_bundle}: {exc.strerror}") from None
        if not extra:
            raise ConfigError(f"certificate_checker.ca_bundle: no certificate in {ca_bundle}")
        roots += extra
    return roots


def _instants(chain: list[x509.Certificate]) -> list[datetime]:
    """Moments inside every presented certificate's validity: the middle first (the root,
    which is not presented, is most likely valid then), then both edges."""
    start = max(c.not_valid_before_utc for c in chain)
    end = min(c.not_valid_after_utc for c in chain)
    if start >= end:  # the presented certificates never overlap: judge the leaf's own span
        start, end = chain[0].not_valid_before_utc, chain[0].not_valid_after_utc
    second = timedelta(seconds=1)
    return [start + (end - start) / 2, start + second, end - second]


class TrustStore:
    """Verifies chains, once per distinct chain (many endpoints share one certificate)."""

    def __init__(self, roots: list[x509.Certificate]) -> None:
        self._store = Store(roots) if roots else None
        self._by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for root in roots:
            self._by_subject.setdefault(root.subject, []).append(root)
        self._cache: dict[tuple[bytes, ...], tuple[bool, str | None]] = {}
        self._lock = threading.Lock()

    def anchored(self, cert: x509.Certificate) -> bool:
        """Whether a trusted root issued `cert`: a client's path ends there, whatever else is presented."""
        try:
            candidates = self._by_subject.get(cert.issuer, [])
        except ValueError:
            return False
        return any(issued_by(cert, root) for root in candidates)

    def verify(self, chain: list[x509.Certificate], key: tuple[bytes, ...]) -> tuple[bool, str | None]:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        result = self._verify(chain)
        with self._lock:
            self._cache[key] = result
        return result

    def _verify(self, chain: list[x509.Certificate]) -> tuple[bool, str | None]:
        if self._store is None:
            return False, "no trust roots available"
        first_error = ""
        for instant in _instants(chain):
            verifier = (
                PolicyBuilder()
                .store(self._store)
                .time(instant)
                .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
                .build_client_verifier()
            )
            try:
                verifier.verify(chain[0], chain[1:])
            except (VerificationError, ValueError) as exc:
                first_error = first_error or plain(exc)
                continue
            return True, None
        return False, first_error
