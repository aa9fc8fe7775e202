"""Endpoints the way servers really behave: client certificates, old protocols, slow talkers, IPv6."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jobs.certificate_checker.settings import EndpointSettings
from jobs.demo.issuing import issue
from jobs.demo.tlslab import TLSServer
from tests.certificate_checker.conftest import NOW, Pki, by_resource, run_checker

NOW_ARG = ("--now", NOW.isoformat())


def endpoint(server: TLSServer, name: str) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": server.port, "server_name": name}


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_a_server_that_demands_a_client_certificate_is_judged_not_unreachable(
    version: ssl.TLSVersion, pki: Pki, tmp_path: Path
) -> None:
    server = TLSServer(pki.leaf("mtls.test", 45), max_version=version, client_cert=True).start()
    try:
        result = run_checker(
            tmp_path, {"endpoints": [endpoint(server, "mtls.test")], "ca_bundle": str(pki.ca_file)}, *NOW_ARG
        )
    finally:
        server.stop()
    [finding] = result["findings"]
    assert (finding["severity"], finding["details"]["days_left"], finding["details"]["problems"]) == ("info", 45, [])
    if version is ssl.TLSVersion.TLSv1_2:  # the server ended the handshake after showing its chain
        assert finding["details"]["handshake_error"].startswith("TLS handshake failed: ")


def test_a_server_below_tls_1_2_is_legacy_tls(pki: Pki, tmp_path: Path) -> None:
    server = TLSServer(pki.leaf("old.test", 200), max_version=ssl.TLSVersion.TLSv1_1).start()
    try:
        result = run_checker(
            tmp_path, {"endpoints": [endpoint(server, "old.test")], "ca_bundle": str(pki.ca_file)}, *NOW_ARG
        )
    finally:
        server.stop()
    [finding] = result["findings"]
    assert finding["details"]["problems"] == ["legacy_tls"] and finding["severity"] == "warning"
    assert finding["details"]["tls_version"] == "TLSv1.1"
    assert finding["message"] == "certificate expires in 200 days; legacy tls"


class Trickler:
    """A STARTTLS server that sends its greeting one byte at a time, for ever."""

    def __init__(self, every: float) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.every = every
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while not self.stopped.wait(self.every):
                    try:
                        conn.sendall(b"2")
                    except OSError:
                        break

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


def test_a_trickled_starttls_greeting_ends_at_the_endpoints_one_deadline(tmp_path: Path) -> None:
    trickler = Trickler(every=0.2)
    ep = {"host": "127.0.0.1", "port": trickler.port, "starttls": "smtp"}
    started = time.monotonic()
    try:
        result = run_checker(
            tmp_path, {"endpoints": [ep], "connect_timeout_seconds": 1, "handshake_timeout_seconds": 1}
        )
    finally:
        trickler.stop()
    elapsed = time.monotonic() - started
    [finding] = result["findings"]
    assert finding["message"] == "unreachable: timed out (connect 1s, handshake 1s)"
    assert elapsed < 4, elapsed  # one deadline (connect + handshake), not a timeout per byte


def test_ipv6_endpoints_are_bracketed_and_an_endpoint_listed_twice_is_checked_once(pki: Pki, tmp_path: Path) -> None:
    try:
        server = TLSServer(pki.leaf("::1", 100), host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        spellings = [f"[::1]:{server.port}", {"host": "::1", "port": server.port},
                     f"https://[::1]:{server.port}/", {"host": "[::1]", "port": server.port}]  # fmt: skip
        result = run_checker(tmp_path, {"endpoints": spellings, "ca_bundle": str(pki.ca_file)}, *NOW_ARG)
    finally:
        server.stop()
    assert list(by_resource(result)) == [f"endpoint:[::1]:{server.port}"]
    [finding] = result["findings"]
    assert finding["details"]["problems"] == [] and result["summary"]["total_checked"] == 1


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("[::1]:443", "endpoint:[::1]:443"),
        ("https://[2001:db8::1]:8443/health", "endpoint:[2001:db8::1]:8443"),
        ("https://[2001:db8::1]/", "endpoint:[2001:db8::1]:443"),
        ("api.example.test:8443", "endpoint:api.example.test:8443"),
        ("smtps://mail.example.test", "endpoint:mail.example.test:465"),
    ],
)
def test_endpoint_shorthands_name_the_resource_as_a_url_would(text: str, resource: str) -> None:
    assert EndpointSettings.model_validate(text).resource == resource


def test_an_expired_intermediate_is_named_while_the_leaf_has_89_days(
    pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path
) -> None:
    old_ca = issue("old issuing CA", NOW, issuer=pki.root, ca=True, valid_days=200, starts_days=-203)
    leaf = issue("behind.test", NOW, issuer=old_ca, valid_days=119, starts_days=-30)
    server = tls(leaf)
    result = run_checker(
        tmp_path, {"endpoints": [endpoint(server, "behind.test")], "ca_bundle": str(pki.ca_file)}, *NOW_ARG
    )
    [finding] = result["findings"]
    assert finding["message"] == "intermediate CN=old issuing CA expired 3 days ago"
    assert finding["severity"] == "critical" and finding["details"]["expires_first"] == "CN=old issuing CA"
    assert "expired" not in finding["details"]["problems"]  # the leaf itself has 89 days
