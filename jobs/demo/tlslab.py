"""A local TLS lab: certificates with chosen dates, keys and names, and loopback servers.

Used by the demo sandbox, the tests and the benchmark: real certificates (cryptography;
SHA-1 ones through the `openssl` CLI, which cryptography refuses to make) served by real
TLS servers on 127.0.0.1, several names per port through SNI.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
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


def server_context(
    issued: Issued, *, max_version: ssl.TLSVersion | None = None, client_cert: bool = False
) -> ssl.SSLContext:
    """A server context presenting `issued` and its chain; weak keys, SHA-1 and, below
    `max_version`, old protocols allowed; `client_cert` demands a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    if max_version is not None:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = max_version
    if client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=issued.cert.public_bytes(serialization.Encoding.PEM).decode())
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_file.write_bytes(issued.pem())
        key_file.write_bytes(issued.key_pem())
        context.load_cert_chain(cert_file, key_file)
    return context


class TLSServer:
    """Serves TLS handshakes on 127.0.0.1; `by_name` picks the certificate by SNI."""

    def __init__(
        self,
        default: Issued,
        by_name: Mapping[str, Issued] | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        max_version: ssl.TLSVersion | None = None,
        client_cert: bool = False,
    ) -> None:
        def context(issued: Issued) -> ssl.SSLContext:
            return server_context(issued, max_version=max_version, client_cert=client_cert)

        self.context = context(default)
        self.by_name = {name: context(issued) for name, issued in (by_name or {}).items()}
        if self.by_name:
            self.context.sni_callback = self._pick
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family, backlog=1024)
        self.port = int(self.sock.getsockname()[1])
        self._stopped = threading.Event()

    def _pick(self, connection: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        if name in self.by_name:
            connection.context = self.by_name[name]

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except OSError:
            pass

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def start(self) -> TLSServer:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.sock.close()


class PortFarm:
    """One certificate per port on many loopback ports, for load: one accept thread, a pool
    of handshake threads."""

    def __init__(self, certs: Sequence[Issued], workers: int = 64) -> None:
        self.contexts = [server_context(c) for c in certs]
        self.socks = [socket.create_server(("127.0.0.1", 0), backlog=256) for _ in certs]
        self.ports = [int(s.getsockname()[1]) for s in self.socks]
        self.workers = workers

    def serve_forever(self) -> None:
        import selectors
        from concurrent.futures import ThreadPoolExecutor

        selector = selectors.DefaultSelector()
        for sock, context in zip(self.socks, self.contexts, strict=True):
            selector.register(sock, selectors.EVENT_READ, context)
        with ThreadPoolExecutor(self.workers) as pool:
            while True:
                for key, _ in selector.select():
                    try:
                        conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
                    except OSError:
                        continue
                    pool.submit(_handshake, key.data, conn)


def _handshake(context: ssl.SSLContext, conn: socket.socket) -> None:
    conn.settimeout(5)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except OSError:
        pass


class RawServer:
    """A TCP server that is not TLS: answers plain HTTP, or closes at once (mid-handshake)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.reply is not None:
                    conn.settimeout(2)
                    try:
                        conn.recv(4096)
                        conn.sendall(self.reply)
                    except OSError:
                        pass

    def start(self) -> RawServer:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self.sock.close()


HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
