"""What each deployable job needs, from one settings file read without resolving a reference.

Two sources of need: the job's own declaration (`JobSpec.permissions`, over its settings
section), and the settings' `vault:` references, which every run reads at start-up whatever
its job (references are resolved for the whole file), so each job's Vault policy holds them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, SecretStr

from jobs.core.errors import ConfigError
from jobs.core.permissions import Permissions, VaultGrant
from jobs.core.refs import VAULT_PREFIX
from jobs.core.registry import JOBS, JobSpec, load_attr
from jobs.core.resolve import load_settings
from jobs.core.settings import Settings


def deployable(jobs: Mapping[str, JobSpec] = JOBS, only: str | None = None) -> list[JobSpec]:
    """The jobs this build ships, in table order (a job whose code is not here has no image to
    run in); `only`: just that one, ConfigError naming the known ids when it is not one."""
    if only is not None and only not in jobs:
        raise ConfigError(f"--job {only!r}: not a job; known: {', '.join(jobs)}")
    found = [spec for spec in jobs.values() if spec.available and only in (None, spec.id)]
    if only is not None and not found:
        raise ConfigError(f"--job {only}: not in this build (its code is not installed)")
    return found


def read(path: str | os.PathLike[str] | None, jobs: Mapping[str, JobSpec] = JOBS) -> Settings:
    """The settings a deployment will run with; references stay as written."""
    return load_settings(path, jobs, resolve_references=False)


def job_permissions(spec: JobSpec, settings: Settings) -> Permissions:
    """Everything a run of `spec` with `settings` needs."""
    declared = Permissions()
    if spec.permissions:
        section = settings.job_settings(spec.section, spec.destructive)
        declared = load_attr(spec.permissions)(section)
        if not isinstance(declared, Permissions):
            raise ConfigError(f"job {spec.id}: {spec.permissions} returned {type(declared).__name__}, not Permissions")
    return declared + reference_permissions(settings)


def reference_permissions(settings: Settings) -> Permissions:
    """A read of each KV v2 secret a `vault:<mount>/<path>#<key>` reference names."""
    grants = set()
    for ref in references(settings):
        location = ref[len(VAULT_PREFIX) :].partition("#")[0].strip("/")
        mount, _, path = location.partition("/")
        if mount and path:
            grants.add(VaultGrant(f"{mount}/data/{path}", ("read",), "a settings reference read at start-up"))
    return Permissions(vault=tuple(sorted(grants)))


def references(settings: Settings) -> list[str]:
    """Every `vault:` reference string in the settings, secret fields included, sorted."""
    return sorted({value for value in _strings(settings) if value.startswith(VAULT_PREFIX)})


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _strings(getattr(node, name))
    elif isinstance(node, SecretStr):
        yield node.get_secret_value()
    elif isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, Sequence | set | frozenset):
        for value in node:
            yield from _strings(value)
