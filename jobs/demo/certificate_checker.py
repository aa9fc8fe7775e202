"""The certificate-checker sandbox: PEM files and loopback TLS endpoints with every problem.

A private root (given as `ca_bundle`), a healthy and an expiring intermediate, leaves at
every tier (ok, info, warning, critical, expired, not yet valid), and endpoints that are
fine, mismatched, self-signed, weak, SHA-1, behind an expiring intermediate, expired,
serving an older certificate than the one stored (stale), not TLS, closing mid-handshake
or refusing connections; plus a corrupt PEM file.
"""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization

from jobs.demo.tlslab import HTTP_REPLY, Issued, RawServer, TLSServer, issue, issue_sha1

DOMAIN = "demo.test"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def prepare(directory: Path) -> list[str]:
    now = datetime.now(UTC)
    root = issue("secops demo root", now, ca=True, valid_days=3650, starts_days=-10)
    inter = issue("secops demo issuing CA", now, issuer=root, ca=True, valid_days=730)
    short_inter = issue("secops demo old issuing CA", now, issuer=root, ca=True, valid_days=50, starts_days=-30)

    def leaf(name: str, days_left: float, key: str = "ec256") -> Issued:
        return issue(f"{name}.{DOMAIN}", now, issuer=inter, valid_days=30 + days_left, starts_days=-30, key=key)

    certs = directory / "certs"
    files = [
        _write(certs / f"{tier}.pem", leaf(tier, days).pem(with_chain=False))
        for tier, days in (("ok", 200), ("info", 45), ("warning", 20), ("critical", 3), ("expired", -5))
    ]
    files.append(
        _write(certs / "not-yet-valid.pem", issue(f"future.{DOMAIN}", now, issuer=inter, starts_days=2).pem(False))
    )
    files.append(_write(certs / "fullchain.pem", leaf("bundle", 120).pem()))
    files.append(
        _write(certs / "corrupt.pem", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    )

    good = leaf("good", 200)
    api_old, api_new = leaf("api", 12), leaf("api", 88)  # renewed in storage, not deployed
    files.append(_write(certs / "good.pem", good.pem()))
    files.append(_write(certs / "api-renewed.pem", api_new.pem()))
    served = {
        f"good.{DOMAIN}": good,
        f"api.{DOMAIN}": api_old,
        f"selfsigned.{DOMAIN}": issue(f"selfsigned.{DOMAIN}", now, valid_days=365),
        f"weak.{DOMAIN}": leaf("weak", 150, key="rsa1024"),
        f"chain.{DOMAIN}": issue(f"chain.{DOMAIN}", now, issuer=short_inter, valid_days=120),
        f"expired.{DOMAIN}": leaf("expired", -2),
    }
    if shutil.which("openssl"):
        served[f"sha1.{DOMAIN}"] = issue_sha1(f"sha1.{DOMAIN}", inter, now)
    server = TLSServer(good, served).start()
    not_tls, hangs_up = RawServer(HTTP_REPLY).start(), RawServer(None).start()
    endpoints: list[object] = [{"host": "127.0.0.1", "port": server.port, "server_name": n} for n in served]
    endpoints += [
        {"host": "127.0.0.1", "port": server.port, "server_name": f"wrong.{DOMAIN}"},
        f"127.0.0.1:{not_tls.port}",
        f"127.0.0.1:{hangs_up.port}",
        f"127.0.0.1:{_closed_port()}",
    ]
    settings = {
        "log_level": "warning",
        "state_db_url": f"sqlite:///{directory / 'state.db'}",
        "notifications": {"file": {"path": str(directory / "outbox.jsonl")}},
        "certificate_checker": {
            "ca_bundle": _write(directory / "ca.pem", root.cert.public_bytes(serialization.Encoding.PEM)),
            "files": files,
            "endpoints": endpoints,
            "connect_timeout_seconds": 2,
            "handshake_timeout_seconds": 2,
        },
    }
    config = directory / "secops.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return ["--config", str(config)]
