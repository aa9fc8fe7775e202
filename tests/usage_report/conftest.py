"""The end-to-end world of the usage-report job tests, once per module: the generator's series
backfilled into a real Prometheus, and a PostgreSQL control plane of the module's own (named
after it, so two modules on one server never share tenants or deliveries)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import services
from tests.usage_report import world


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: services.Postgres,
    prometheus_backfill: Any,
) -> Iterator[world.Stack]:
    generated = world.generate(tmp_path_factory.mktemp("series"))
    prometheus = prometheus_backfill(generated.path)
    database = "cp_" + request.module.__name__.rsplit(".", 1)[-1]
    yield world.Stack(generated, prometheus.url, world.control_plane(postgres, database))
