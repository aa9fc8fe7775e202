"""PEM/DER bytes → CertInfo, one certificate at a time so one bad block spoils nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from jobs.certificate_checker.model import CertInfo

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\s+.*?-----END CERTIFICATE-----", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    """A certificate or the reason a block could not be read, by its index in the bundle."""

    index: int
    cert: x509.Certificate | None
    error: str | None = None


def split_bundle(data: bytes) -> Iterator[Parsed]:
    """Every certificate in PEM text (any number of blocks) or one DER certificate."""
    if b"-----BEGIN" in data:
        try:  # the common case in one call; block by block only when something is wrong
            yield from (Parsed(i, cert) for i, cert in enumerate(x509.load_pem_x509_certificates(data)))
            return
        except ValueError:
            pass
        blocks = _PEM_BLOCK.findall(data)
        if not blocks:
            yield Parsed(0, None, "no CERTIFICATE block in PEM data")
        for index, block in enumerate(blocks):
            try:
                yield Parsed(index, x509.load_pem_x509_certificate(block))
            except ValueError as exc:
                yield Parsed(index, None, f"corrupt PEM certificate: {_short(exc)}")
        return
    try:
        yield Parsed(0, x509.load_der_x509_certificate(data))
    except ValueError as exc:
        yield Parsed(0, None, f"neither PEM nor DER certificate: {_short(exc)}")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return repr(name)


def _key(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _sans(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return (), ()
    dns = tuple(n.lower() for n in ext.get_values_for_type(x509.DNSName))
    ips = tuple(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return dns, ips


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `cert` (name and signature), whatever the dates."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "unknown"
    return algorithm.name if algorithm is not None else None


def cert_info(cert: x509.Certificate) -> CertInfo:
    dns, ips = _sans(cert)
    key_type, key_bits = _key(cert)
    return CertInfo(
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        serial=format(cert.serial_number, "x"),
        dns_names=dns,
        ip_addresses=ips,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        key_type=key_type,
        key_bits=key_bits,
        signature_hash=_signature_hash(cert),
        self_signed=cert.issuer == cert.subject and issued_by(cert, cert),
        is_ca=_is_ca(cert),
    )


def chain_break(chain: list[x509.Certificate]) -> str | None:
    """Why a stored chain (leaf first) is broken: the leaf not issued by the certificate after it.

    Certificates after a valid link are extras a client ignores when it builds a path
    (stores append reference certificates: ACM returns "your chain + a root CA").
    """
    if len(chain) > 1 and not issued_by(chain[0], chain[1]):
        return "certificate 0 is not issued by certificate 1"
    return None
