"""What a job receives: its own settings section, typed, and clients checked by kind."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from jobs.core.context import JobContext
from jobs.core.job import BaseJob
from jobs.core.registry import JOBS
from jobs.core.resolve import job_class, section_model
from jobs.core.settings import JobSettings, Settings
from jobs.core.state.engine import StateStore


def _declared_settings(cls: type) -> object:
    """The `CfgT` a job class passes to BaseJob[ItemT, CfgT]."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is BaseJob:
                args = typing.get_args(base)
                return args[1] if len(args) > 1 else None
    return None


@pytest.mark.parametrize("job_id", [j for j, spec in JOBS.items() if spec.available])
def test_every_job_is_typed_by_the_settings_model_its_registry_entry_loads(job_id: str) -> None:
    spec = JOBS[job_id]
    assert _declared_settings(job_class(spec)) is section_model(spec)


def _context(tmp_path: Path, clients: dict[str, object]) -> JobContext:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    return JobContext(Settings(), JobSettings(), state, "run", True, clients=clients)


def test_a_client_handed_in_under_the_wrong_name_fails_naming_it(tmp_path: Path) -> None:
    ctx = _context(tmp_path, {"kubernetes": "not an API client"})
    with pytest.raises(TypeError, match=r"client 'kubernetes' is a str, expected a int"):
        ctx.client("kubernetes", int, lambda: 1)


def test_a_client_is_built_once_per_run_and_a_handed_in_one_is_never_rebuilt(tmp_path: Path) -> None:
    built: list[int] = []

    def factory() -> int:
        built.append(1)
        return len(built)

    ctx = _context(tmp_path, {"given": 41})
    assert [ctx.client("made", int, factory) for _ in range(3)] == [1, 1, 1]
    assert ctx.client("given", int, factory) == 41
    assert built == [1]
