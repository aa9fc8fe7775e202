"""The job table's lazy strings resolved and checked: each job's class, its settings section
model, and the settings file read against the sections of a table.

The registry is pure data and the settings are built from the sections they are handed;
this is where the two meet, above both (and above BaseJob, which the job classes extend).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from jobs.core.errors import ConfigError
from jobs.core.job import BaseJob
from jobs.core.registry import JOBS, JobSpec, load_attr
from jobs.core.settings import JobSettings, Settings, read_settings


def job_class(spec: JobSpec) -> type[BaseJob[Any, JobSettings]]:
    """The class `spec.target` names; ConfigError when it is not a job (a typo in a table)."""
    found = load_attr(spec.target)
    if not (isinstance(found, type) and issubclass(found, BaseJob)):
        raise ConfigError(f"job {spec.id}: {spec.target} is not a BaseJob")
    return found


def section_model(spec: JobSpec) -> type[JobSettings]:
    """The model of the job's settings section; JobSettings for a job without one or not in
    this build (its section still validates the common keys)."""
    if not spec.settings_class or not spec.available:
        return JobSettings
    found = load_attr(spec.settings_class)
    if not (isinstance(found, type) and issubclass(found, JobSettings)):
        raise ConfigError(f"job {spec.id}: {spec.settings_class} is not a JobSettings model")
    return found


def sections(jobs: Mapping[str, JobSpec]) -> dict[str, type[JobSettings]]:
    """Section name → model, for every job of `jobs`."""
    return {spec.section: section_model(spec) for spec in jobs.values()}


def load_settings(
    path: str | os.PathLike[str] | None = None,
    jobs: Mapping[str, JobSpec] = JOBS,
    *,
    resolve_references: bool = True,
    **overrides: Any,
) -> Settings:
    """The settings of `jobs` (default: this build's table) from `path` (or $SECOPS_CONFIG),
    the environment and `overrides`; ConfigError naming every bad key."""
    return read_settings(path, sections(jobs), resolve_references=resolve_references, **overrides)
