"""`--shard i/n` over every certificate source, end to end: nothing lost, nothing twice."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.core.runtime import Runtime
from jobs.demo.tlslab import TLSServer
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, run_checker
from tests.certificate_checker.test_sources import issue_from, k8s_runtime, tls_secret
from tests.fakes.kubernetes import FakeKubernetes
from tests.sharding import assert_shards_partition

NOW_ARG = ("--now", NOW.isoformat())


def sharded(tmp_path: Path, section: dict[str, Any], runtime: Callable[[], Runtime] | None = None) -> Any:
    def run(shard: str | None) -> dict[str, Any]:
        argv = [*NOW_ARG, *(["--shard", shard] if shard else [])]
        return run_checker(tmp_path, section, *argv, runtime=runtime() if runtime else None)

    return run


def test_every_certificate_of_a_bundle_lands_in_exactly_one_shard(pki: Pki, tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for i in range(12):  # leaf + intermediate, a few with an extra leaf: 2 or 3 certificates a file
        extra = pki.leaf(f"extra{i}.test", 50).pem(False) if i % 3 == 0 else b""
        (certs / f"site{i}.pem").write_bytes(pki.leaf(f"site{i}.test", 10 + i).pem() + extra)
    checked = assert_shards_partition(sharded(tmp_path, {"files": [f"{certs}/*.pem"]}))
    assert len(checked) == 12 * 2 + 4


def test_endpoints_and_kubernetes_secrets_shard_without_loss(
    pki: Pki, tls: Callable[..., TLSServer], kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    names = {f"h{i}.test": pki.leaf(f"h{i}.test", 20 + i) for i in range(6)}
    server = tls(pki.leaf("default.test", 200), names)
    for i in range(9):
        kubernetes_api.add("secrets", tls_secret(f"team{i % 3}", f"tls-{i}", pki.leaf(f"s{i}.test", 10 * i).pem()))
    section = {
        "endpoints": [{"host": "127.0.0.1", "port": server.port, "server_name": n} for n in names],
        "ca_bundle": str(pki.ca_file),
        "kubernetes": {"enabled": True},
    }
    checked = assert_shards_partition(sharded(tmp_path, section, lambda: k8s_runtime(kubernetes_api)))
    assert len(checked) == 6 + 9


def test_vault_pki_and_acm_certificates_shard_without_loss(
    pki: Pki, openbao: services.Vault, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from jobs.core.clients.aws import aws_client

    client = openbao.client()
    mount = "pki-shard-" + os.urandom(4).hex()
    client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    client.secrets.pki.generate_root("internal", "shard root", extra_params={"ttl": "87600h"}, mount_point=mount)
    client.secrets.pki.create_or_update_role(
        "web", {"allowed_domains": "example.test", "allow_subdomains": True, "max_ttl": "8760h"}, mount_point=mount
    )
    for i in range(7):
        issue_from(client, mount, f"v{i}.example.test", f"{100 + i}h")
    for name, value in (
        ("AWS_ENDPOINT_URL", moto.endpoint),
        ("AWS_ACCESS_KEY_ID", "t"),
        ("AWS_SECRET_ACCESS_KEY", "t"),
    ):
        monkeypatch.setenv(name, value)
    moto.reset()
    acm = aws_client("acm", "eu-west-1")
    for i in range(6):
        leaf = pki.leaf(f"a{i}.example.test", 12 + i, key="rsa2048")
        acm.import_certificate(
            Certificate=leaf.cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=leaf.key_pem(),
            CertificateChain=pki.inter.cert.public_bytes(serialization.Encoding.PEM),
        )
    section = {
        "vault": {"enabled": True, "url": openbao.url, "token": openbao.token, "mounts": [mount]},
        "acm": {"enabled": True, "regions": ["eu-west-1"]},
    }
    checked = assert_shards_partition(sharded(tmp_path, section))
    assert len(checked) == 7 + 1 + 6  # the mount's own root is a certificate too


# file names as teams write them: spaces, '#', non-ASCII, look-alike digits, a leading dot
file_names = st.text(
    st.characters(categories=("L", "N", "Zs"), include_characters="#-_.+@,", exclude_characters="/\\\x00"),
    min_size=1,
    max_size=40,
).filter(lambda n: n.strip(". ") == n and n not in (".", ".."))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(file_names, st.integers(1, 4), min_size=1, max_size=6))
def test_any_file_names_and_bundle_sizes_partition_across_shards(pki: Pki, bundles: dict[str, int]) -> None:
    leaves = [pki.leaf(f"l{i}.test", 30 + i).pem(False) for i in range(4)]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "certs").mkdir()
        for name, count in bundles.items():
            (root / "certs" / f"{name}.pem").write_bytes(b"".join(leaves[:count]))
        checked = assert_shards_partition(sharded(root, {"files": [f"{root}/certs/*.pem"]}))
        assert sum(checked.values()) == sum(bundles.values())
