"""The GitLab fake with its repositories served by the real git http-backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.gitlab import FakeGitLab


@pytest.fixture
def gitlab_server(tmp_path: Path) -> Iterator[FakeGitLab]:
    with FakeGitLab(tmp_path / "gitlab-repositories") as fake:
        yield fake
