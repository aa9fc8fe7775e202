"""History tests: a state DB on SQLite or PostgreSQL, and the scan context of a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.core.state.engine import StateStore
from tests import services
from tests.repo_scanner.gitrepos import NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def any_state(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    """A migrated state DB of each kind the job runs on."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        postgres: services.Postgres = request.getfixturevalue("postgres")
        url = postgres.create_database(f"history_{tmp_path.name[-20:].lower().replace('-', '_')}")
    store = StateStore(url, retry_seconds=1)
    store.upgrade(NOW)
    return store
