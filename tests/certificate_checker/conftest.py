"""A private PKI and loopback TLS servers, made fresh for the certificate tests."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.demo.issuing import Issued, issue
from jobs.demo.tlslab import TLSServer
from tests import services
from tests.helpers import run_cli, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@dataclass
class Pki:
    root: Issued
    inter: Issued
    ca_file: Path

    def leaf(self, name: str, days_left: float, **kw: Any) -> Issued:
        return issue(name, NOW, issuer=self.inter, valid_days=30 + days_left, starts_days=-30, **kw)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = issue("test root", NOW, ca=True, valid_days=3650, starts_days=-100)
    inter = issue("test issuing CA", NOW, issuer=root, ca=True, valid_days=1000, starts_days=-100)
    ca_file = tmp_path_factory.mktemp("pki") / "root.pem"
    ca_file.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    return Pki(root, inter, ca_file)


@pytest.fixture
def tls() -> Iterator[Callable[..., TLSServer]]:
    started: list[TLSServer] = []

    def start(default: Issued, by_name: dict[str, Issued] | None = None) -> TLSServer:
        server = TLSServer(default, by_name).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def run_checker(
    tmp_path: Path, section: dict[str, Any], *argv: str, runtime: Runtime | None = None, **settings: Any
) -> dict[str, Any]:
    """One certificate-checker run through the CLI path, its JSON result returned."""
    config = write_config(tmp_path / "secops.yaml", {"certificate_checker": section, **settings})
    return run_cli(JOBS["certificate-checker"], ["--config", config, *argv], runtime)


def by_resource(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]: f for f in result["findings"]}


# -- Vault / OpenBao PKI -----------------------------------------------------------------------
@pytest.fixture
def vault_pki(openbao: services.Vault) -> Any:
    client = openbao.client()
    mount = "pki-" + base64.b32encode(os.urandom(5)).decode().lower()
    client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    client.secrets.pki.generate_root("internal", "vault test root", extra_params={"ttl": "87600h"}, mount_point=mount)
    client.secrets.pki.create_or_update_role(
        "web", {"allowed_domains": "example.test", "allow_subdomains": True, "max_ttl": "8760h"}, mount_point=mount
    )
    return client, mount


def issue_from(client: Any, mount: str, name: str, ttl: str) -> str:
    answer = client.secrets.pki.generate_certificate("web", name, extra_params={"ttl": ttl}, mount_point=mount)
    return str(answer["data"]["serial_number"])  # as the mount lists it
