"""Certificates for the local TLS lab: chosen dates, keys and names, a chain to present.

Real certificates made with cryptography; SHA-1 ones through the `openssl` CLI, which
cryptography refuses to make. The servers that present them are tlslab's.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = str  # "ec256", "ec384", "rsa2048", "rsa1024"


def new_key(kind: KeyType = "ec256") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    return ec.generate_private_key(ec.SECP384R1() if kind == "ec384" else ec.SECP256R1())


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    chain: list[x509.Certificate] = field(default_factory=list)  # issuers to present after it
    extra: bytes = b""  # PEM presented after the chain as is (a certificate cryptography cannot read)

    def pem(self, with_chain: bool = True) -> bytes:
        certs = [self.cert, *(self.chain if with_chain else [])]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs) + (self.extra if with_chain else b"")

    def key_pem(self) -> bytes:
        return key_pem(self.key)


def key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _sans(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def issue(
    common_name: str,
    now: datetime,
    *,
    sans: Sequence[str] | None = None,
    issuer: Issued | None = None,
    valid_days: float = 90,
    starts_days: float = -30,
    key: KeyType = "ec256",
    ca: bool = False,
    minimal: bool = False,
) -> Issued:
    """A certificate valid from `now + starts_days` for `valid_days`; self-signed without `issuer`.

    `minimal`: basicConstraints and SANs only, no keyUsage, EKU or key identifiers, as many
    private CAs issue them (OpenSSL and Python's `ssl` trust such chains).
    """
    private = new_key(key)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = now + timedelta(days=starts_days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca and not minimal:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    elif not minimal:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if sans is None:
        sans = [] if ca else [common_name]
    if sans:
        builder = builder.add_extension(_sans(sans), critical=False)
    if not minimal:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
    if issuer and not minimal:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        builder = builder.add_extension(aki, critical=False)
    signer = issuer.key if issuer else private
    cert = builder.sign(signer, hashes.SHA256())
    chain = [issuer.cert, *issuer.chain] if issuer and not _is_root(issuer.cert) else []
    return Issued(cert, private, chain)


def _is_root(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def issue_sha1(
    common_name: str,
    issuer: Issued | None,
    now: datetime,
    valid_days: float = 90,
    *,
    starts_days: float = 0,
    ca: bool = False,
    digest: str = "sha1",
) -> Issued:
    """A certificate signed with SHA-1 (or `digest`, e.g. md5) by `issuer`, self-signed without
    one, made with the openssl CLI (cryptography refuses to sign with SHA-1)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a SHA-1 certificate")
    private = new_key("rsa2048")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(private, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "csr.pem").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        (d / "ca.key").write_bytes(key_pem(issuer.key if issuer else private))
        names = "" if ca else f"subjectAltName=DNS:{common_name}\n"
        (d / "ext").write_text(f"{names}basicConstraints=critical,CA:{'TRUE' if ca else 'FALSE'}\n")
        (d / "index.txt").write_text("")
        (d / "ca.cnf").write_text(  # `openssl ca`, not `x509 -req`: only it takes a start date (OpenSSL 3.0)
            "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\npolicy=p\nunique_subject=no\n"
            "[p]\ncommonName=supplied\n"
        )
        if issuer:
            (d / "ca.pem").write_bytes(issuer.cert.public_bytes(serialization.Encoding.PEM))
        who = ["-cert", "ca.pem"] if issuer else ["-selfsign"]
        stamp, start = "%Y%m%d%H%M%SZ", now + timedelta(days=starts_days)
        subprocess.run(  # noqa: S603 - fixed arguments, temporary files
            [openssl, "ca", "-batch", "-config", "ca.cnf", "-in", "csr.pem", *who, "-keyfile", "ca.key",
             "-md", digest, "-startdate", start.strftime(stamp),
             "-enddate", (start + timedelta(days=valid_days)).strftime(stamp),
             "-rand_serial", "-extfile", "ext", "-notext", "-out", "leaf.pem"],
            check=True, capture_output=True, timeout=30, cwd=d,
        )  # fmt: skip
        cert = x509.load_pem_x509_certificate((d / "leaf.pem").read_bytes())
    chain = [c for c in [issuer.cert, *issuer.chain] if not _is_root(c)] if issuer else []
    return Issued(cert, private, chain)
