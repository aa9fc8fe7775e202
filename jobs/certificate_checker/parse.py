"""PEM/DER bytes → CertInfo, one certificate at a time so one bad block spoils nothing else.

`load` is the one place a certificate is read: whatever cryptography raises for it (a bad
version, a duplicate extension, a name it cannot decode, parameters it does not know) makes
that certificate an error and nothing more. Every source reads through it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jobs.certificate_checker.messages import plain
from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.signatures import issued_by, key_size
from jobs.core.model import RunError

MAX_BUNDLE_BYTES = 10 * 1024 * 1024  # a certificate bundle is kilobytes (the system roots: ~200 KB)
MAX_BLOCKS = 10_000  # certificates read from one bundle; the rest is one error
MAX_ERRORS = 20  # unreadable blocks listed one by one per bundle; the rest are counted
_BEGIN, _END = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"


@dataclass(frozen=True)
class Parsed:
    """A certificate or the reason it could not be read, by its index in the bundle."""

    index: int
    cert: x509.Certificate | None
    info: CertInfo | None = None
    error: str | None = None


def load(
    index: int, data: bytes, loader: Callable[[bytes], x509.Certificate], what: str, describe: bool = True
) -> Parsed:
    """Read one certificate and (`describe`) every field the rules use; any failure is this
    certificate's error. Trust roots need no description: reading 140 of them costs 4 ms, not 200."""
    with warnings.catch_warnings():  # a country code of the wrong length, a negative serial: still read
        warnings.simplefilter("ignore")
        try:
            cert = loader(data)
        except Exception as exc:  # noqa: BLE001 - cryptography's errors share no base class; each is recorded
            return Parsed(index, None, error=f"{what}: {plain(exc)}")
        if not describe:
            return Parsed(index, cert)
        try:
            return Parsed(index, cert, cert_info(cert))
        except Exception as exc:  # noqa: BLE001 - fields are decoded lazily: a bad one surfaces here
            return Parsed(index, None, error=f"malformed certificate: {plain(exc)}")


def read_der(index: int, der: bytes) -> Parsed:
    return load(index, der, x509.load_der_x509_certificate, "malformed certificate")


def pem_blocks(data: bytes) -> Iterator[bytes | None]:
    """Each `BEGIN … END CERTIFICATE` block in order, None for one that has no END before the next BEGIN.

    Linear in the size of `data`: each search starts where the previous one stopped (a regex
    retried from every BEGIN made 400 KB of unterminated blocks take 47 s).
    """
    start, end = data.find(_BEGIN), data.find(_END)
    while start != -1:
        following = data.find(_BEGIN, start + len(_BEGIN))
        if end != -1 and end < start:
            end = data.find(_END, start)
        if end == -1 or (following != -1 and following < end):
            yield None
        else:
            yield data[start : end + len(_END)]
        start = following


def split_bundle(data: bytes, describe: bool = True) -> Iterator[Parsed]:
    """Every certificate in PEM text (any number of blocks) or one DER certificate.

    After MAX_ERRORS unreadable blocks the rest are counted, not listed, in one last error.
    """
    if len(data) > MAX_BUNDLE_BYTES:
        yield Parsed(0, None, error=f"larger than {MAX_BUNDLE_BYTES} bytes: not a certificate bundle")
        return
    if b"-----BEGIN" not in data:
        yield load(0, data, x509.load_der_x509_certificate, "neither PEM nor DER certificate", describe)
        return
    count, failed, unlisted = 0, 0, None
    for count, block in enumerate(pem_blocks(data), start=1):
        index = count - 1
        if index == MAX_BLOCKS:
            yield Parsed(index, None, error=f"more than {MAX_BLOCKS} certificate blocks: the rest is not read")
            break
        parsed = (
            Parsed(index, None, error="corrupt PEM certificate: no END CERTIFICATE line")
            if block is None
            else load(index, block, x509.load_pem_x509_certificate, "corrupt PEM certificate", describe)
        )
        failed += parsed.cert is None
        if parsed.cert is not None or failed <= MAX_ERRORS:
            yield parsed
        elif unlisted is None:
            unlisted = index
    if unlisted is not None:
        yield Parsed(unlisted, None, error=f"{failed - MAX_ERRORS} more unreadable blocks from here on")
    if not count:
        yield Parsed(0, None, error="no CERTIFICATE block in PEM data")


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return repr(name)


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _sans(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ext = _extension(cert, x509.SubjectAlternativeName)
    if not isinstance(ext, x509.SubjectAlternativeName):
        return (), ()
    dns = tuple(n.lower() for n in ext.get_values_for_type(x509.DNSName))
    ips = tuple(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return dns, ips


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # noqa: BLE001 - an algorithm cryptography does not know is still a certificate
        return "unknown"
    return algorithm.name if algorithm is not None else None


def cert_info(cert: x509.Certificate) -> CertInfo:
    """Raises whatever cryptography raises for a malformed field: call it through `load`."""
    dns, ips = _sans(cert)
    key_type, key_bits = key_size(cert)
    constraints = _extension(cert, x509.BasicConstraints)
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
        self_signed=issued_by(cert, cert),
        is_ca=isinstance(constraints, x509.BasicConstraints) and constraints.ca,
    )


def relied_on(certs: list[x509.Certificate], anchored: Callable[[x509.Certificate], bool] | None = None) -> list[int]:
    """Indices of the presented issuers a client's path goes through, leaf excluded.

    From the leaf, each step takes the presented certificate that really issued the current
    one (name, key identifiers and signature), in any order; it stops at a self-signed root
    (a trust anchor, never an intermediate), at a certificate a trusted root issued
    (`anchored`), or where no presented certificate issued it. Extras (an appended
    reference root, an unrelated certificate) are not on the path.
    """
    path: list[int] = []
    current = certs[0] if certs else None
    while current is not None and not (anchored and anchored(current)) and len(path) < 16:
        step = next(
            (i for i, c in enumerate(certs) if i and i not in path and c is not current and issued_by(current, c)),
            None,
        )
        if step is None or issued_by(certs[step], certs[step]):
            return path
        path.append(step)
        current = certs[step]
    return path


def chain_break(chain: list[x509.Certificate]) -> str | None:
    """Why a stored chain (leaf first) is broken: the leaf not issued by the certificate after it.

    Certificates after a valid link are extras a client ignores when it builds a path
    (stores append reference certificates: ACM returns "your chain + a root CA").
    """
    if len(chain) > 1 and not issued_by(chain[0], chain[1]):
        return "certificate 0 is not issued by certificate 1"
    return None


def stored_chain(
    resource: str, source: str, data: bytes, label: str, extra: dict[str, object]
) -> tuple[Observation | None, list[RunError]]:
    """A stored chain (leaf first) as one observation, and an error naming each certificate that
    cannot be read; without a readable leaf there is nothing to judge but the error."""
    parsed = list(split_bundle(data))
    errors = [RunError(resource, f"{label}certificate {p.index}: {p.error}") for p in parsed if p.info is None]
    good = [p for p in parsed if p.info is not None and p.cert is not None]
    if not good or good[0].index != 0:
        return None, errors
    certs = [p.cert for p in good if p.cert is not None]
    infos = tuple(p.info for p in good if p.info is not None)
    relied = tuple(relied_on(certs))
    return Observation(resource, source, infos, chain_error=chain_break(certs), relied_on=relied, extra=extra), errors
