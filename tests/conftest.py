"""Fixtures: real services (tests/services.py) and HTTP fakes (tests/fakes/)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from jobs.core import redact
from jobs.core.state.engine import StateStore
from tests import services
from tests.fakes.keycloak import FakeKeycloak
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import FakeSlack

# This 2-core VM's speed wanders 2x and CI shares it with real servers: a property must fail on
# a counterexample, never on how long an example took (deadline, too_slow).
settings.register_profile("secops", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("secops")


# -- parallel runs (`make test`: pytest -n N --dist loadgroup) ------------------------------------
# Each worker starts its own services (tests/services.py: free ports, private data dirs), so no
# test shares a server with another worker's. What must not be split is a test module's
# module-scoped fixture (the demo run, an image build): split over workers it is made once per
# worker. pytest 9.2 ignores the nodeid suffix pytest-xdist's own `loadgroup` groups by, so the
# grouping is ours: a module that defines such a fixture (or uses `pytest.mark.xdist_group`) is
# one unit of work, every other test is a unit of its own.
SHARED_FIXTURE = re.compile(r"@pytest\.fixture\(\s*scope=[\"'](module|package|session)[\"']|pytest\.mark\.xdist_group")


@functools.cache
def shares_a_fixture(module: Path) -> bool:
    """The test module defines a fixture its tests share (read from the source, as the xdist
    controller, which collects nothing, has to decide too)."""
    return module.suffix == ".py" and bool(SHARED_FIXTURE.search(module.read_text()))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if shares_a_fixture(config.rootpath / module) else nodeid

    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `slow` and the modules sharing a fixture go first, so the longest waits
    overlap the rest of the suite instead of trailing at its end on one worker."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or shares_a_fixture(item.path)))


@pytest.fixture(scope="session", autouse=True)
def _lean_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Before any test starts moto (in this process or a child): see services.lean_moto_amis."""
    import os

    before = os.environ.get("MOTO_AMIS_PATH")
    services.lean_moto_amis(tmp_path_factory.mktemp("moto"))
    yield
    if before is None:
        os.environ.pop("MOTO_AMIS_PATH", None)
    else:
        os.environ["MOTO_AMIS_PATH"] = before


@pytest.fixture(scope="session")
def postgres() -> Iterator[services.Postgres]:
    with services.postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def any_state(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    """A migrated state DB of each kind the jobs run on (a store's tests pass on both)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        postgres: services.Postgres = request.getfixturevalue("postgres")
        url = postgres.create_database(f"state_{tmp_path.name[-20:].lower().replace('-', '_')}")
    store = StateStore(url, retry_seconds=1)
    store.upgrade(datetime(2026, 12, 1, tzinfo=UTC))
    return store


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


@pytest.fixture(scope="module")
def prometheus_backfill(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Path], services.BackfilledPrometheus]]:
    """A factory: `prometheus_backfill(openmetrics_file)` backfills and starts a Prometheus that
    lives until the end of the module (a module-scoped fixture of the test module calls it, so
    the module is one unit of work for xdist and the backfill is done once)."""
    with contextlib.ExitStack() as stack:

        def start(openmetrics: Path) -> services.BackfilledPrometheus:
            workdir = tmp_path_factory.mktemp("prometheus")
            return stack.enter_context(services.prometheus_backfilled(workdir, openmetrics))

        yield start


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
