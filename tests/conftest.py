"""Fixtures: real services (tests/services.py) and HTTP fakes (tests/fakes/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from jobs.core import redact
from tests import services
from tests.fakes.keycloak import FakeKeycloak
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import FakeSlack

# This 2-core VM's speed wanders 2x and CI shares it with real servers: a property must fail on
# a counterexample, never on how long an example took (deadline, too_slow).
settings.register_profile("secops", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("secops")


@pytest.fixture(scope="session")
def postgres() -> Iterator[services.Postgres]:
    with services.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pushgateway() -> Iterator[services.Pushgateway]:
    with services.pushgateway_server() as server:
        yield server


@pytest.fixture(scope="session")
def openbao() -> Iterator[services.Vault]:
    with services.openbao_server() as server:
        yield server


@pytest.fixture(scope="session")
def moto() -> Iterator[services.Moto]:
    with services.moto_server() as server:
        yield server


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[services.Smtp]:
    with services.smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with FakePagerDuty() as fake:
        yield fake


@pytest.fixture
def kubernetes_api() -> Iterator[FakeKubernetes]:
    with FakeKubernetes() as fake:
        yield fake


@pytest.fixture
def keycloak() -> Iterator[FakeKeycloak]:
    with FakeKeycloak() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's settings, Vault or AWS, or leaves secrets registered."""
    import os

    for name in list(os.environ):
        if name.startswith(("SECOPS_", "VAULT_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
    redact.forget_all()
