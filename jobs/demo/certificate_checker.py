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

from jobs.core.invoke import RunRequest
from jobs.core.registry import JOBS
from jobs.demo.issuing import Issued, issue, issue_sha1
from jobs.demo.tlslab import HTTP_REPLY, RawServer, TLSServer

DOMAIN = "demo.test"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def prepare(directory: Path) -> RunRequest:
    now = datetime.now(UTC)
    root = issue("secops demo root", now, ca=True, valid_days=3650, starts_days=-10)
    inter = issue("secops demo issuing CA", now, issuer=root, ca=True, valid_days=730)
    files, served = _files(directory / "certs", now, inter), _served(now, root, inter)
    files.append(_write(directory / "certs" / "good.pem", served[f"good.{DOMAIN}"].pem()))
    files.append(_write(directory / "certs" / "api-renewed.pem", _leaf(now, inter, "api", 88).pem()))
    settings = {
        "log_level": "warning",
        "state_db_url": f"sqlite:///{directory / 'state.db'}",
        "notifications": {"file": {"path": str(directory / "outbox.jsonl")}},
        "certificate_checker": {
            "ca_bundle": _write(directory / "ca.pem", root.cert.public_bytes(serialization.Encoding.PEM)),
            "files": files,
            "endpoints": _endpoints(served),
            "connect_timeout_seconds": 2,
            "handshake_timeout_seconds": 2,
        },
    }
    config = directory / "secops.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return RunRequest(JOBS["certificate-checker"], config=str(config))


def _leaf(now: datetime, inter: Issued, name: str, days_left: float, key: str = "ec256") -> Issued:
    return issue(f"{name}.{DOMAIN}", now, issuer=inter, valid_days=30 + days_left, starts_days=-30, key=key)


def _files(certs: Path, now: datetime, inter: Issued) -> list[str]:
    """A leaf file per tier, one not yet valid, a full chain and a corrupt one."""
    files = [
        _write(certs / f"{tier}.pem", _leaf(now, inter, tier, days).pem(with_chain=False))
        for tier, days in (("ok", 200), ("info", 45), ("warning", 20), ("critical", 3), ("expired", -5))
    ]
    files.append(
        _write(certs / "not-yet-valid.pem", issue(f"future.{DOMAIN}", now, issuer=inter, starts_days=2).pem(False))
    )
    files.append(_write(certs / "fullchain.pem", _leaf(now, inter, "bundle", 120).pem()))
    files.append(
        _write(certs / "corrupt.pem", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    )
    return files


def _served(now: datetime, root: Issued, inter: Issued) -> dict[str, Issued]:
    """What the TLS endpoint serves per server name: fine, stale (api: renewed in storage, not
    deployed), self-signed, weak, behind an expiring intermediate, expired, SHA-1."""
    short_inter = issue("secops demo old issuing CA", now, issuer=root, ca=True, valid_days=50, starts_days=-30)
    served = {
        f"good.{DOMAIN}": _leaf(now, inter, "good", 200),
        f"api.{DOMAIN}": _leaf(now, inter, "api", 12),
        f"selfsigned.{DOMAIN}": issue(f"selfsigned.{DOMAIN}", now, valid_days=365),
        f"weak.{DOMAIN}": _leaf(now, inter, "weak", 150, key="rsa1024"),
        f"chain.{DOMAIN}": issue(f"chain.{DOMAIN}", now, issuer=short_inter, valid_days=120),
        f"expired.{DOMAIN}": _leaf(now, inter, "expired", -2),
    }
    if shutil.which("openssl"):
        served[f"sha1.{DOMAIN}"] = issue_sha1(f"sha1.{DOMAIN}", inter, now)
    return served


def _endpoints(served: dict[str, Issued]) -> list[object]:
    """The served names, a mismatched one, and endpoints that are not TLS, hang up or refuse."""
    server = TLSServer(served[f"good.{DOMAIN}"], served).start()
    not_tls, hangs_up = RawServer(HTTP_REPLY).start(), RawServer(None).start()
    endpoints: list[object] = [{"host": "127.0.0.1", "port": server.port, "server_name": n} for n in served]
    return [
        *endpoints,
        {"host": "127.0.0.1", "port": server.port, "server_name": f"wrong.{DOMAIN}"},
        f"127.0.0.1:{not_tls.port}",
        f"127.0.0.1:{hangs_up.port}",
        f"127.0.0.1:{_closed_port()}",
    ]
