"""`SECOPS_*` variables that no setting reads, found so they can be warned about.

pydantic-settings reads only the variables of the fields it knows and ignores the rest, so a
typo (`SECOPS_STATE_DB` for `SECOPS_STATE_DB_URL`, one `_` where `__` was meant) leaves the
default in force without a word. Keys below a known section are not looked at here: the
models refuse unknown keys there themselves (exit 2). Pure: the environment is an argument.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

#: variables with this prefix that are read outside the settings models
NOT_SETTINGS: Final = frozenset(
    {
        "SECOPS_CONFIG",  # the settings file (load_settings)
        "SECOPS_ACTOR",  # who acted, in the audit (runner)
    }
)


@dataclass(frozen=True)
class Unknown:
    variable: str
    closest: str | None  # the known variable it is most like, if any is close

    @property
    def message(self) -> str:
        hint = f"; did you mean {self.closest}?" if self.closest else ""
        return f"{self.variable} is not a setting and is ignored{hint}"


def unknown_variables(environ: Mapping[str, str], model: type[BaseModel], prefix: str) -> list[Unknown]:
    """Every `prefix*` variable (any case, as pydantic-settings matches) that neither names a
    top-level setting (alone or with `__` below it) nor is one of NOT_SETTINGS."""
    top = {name.upper() for name in model.model_fields}
    known: list[str] | None = None
    found: list[Unknown] = []
    for variable in sorted(environ):
        upper = variable.upper()
        if not upper.startswith(prefix) or upper in NOT_SETTINGS:
            continue
        if upper[len(prefix) :].split("__", 1)[0] in top:
            continue
        known = known or sorted({*_paths(model), *(n.removeprefix(prefix) for n in NOT_SETTINGS)})
        close = difflib.get_close_matches(upper[len(prefix) :], known, n=1, cutoff=0.6)  # the prefix is no clue
        found.append(Unknown(variable, prefix + close[0] if close else None))
    return found


def _paths(model: type[BaseModel], depth: int = 0) -> Iterator[str]:
    """`STATE_DB_URL`, `NOTIFICATIONS__SLACK__CHANNEL`, ...: every key as its variable spells it."""
    for name, info in model.model_fields.items():
        yield name.upper()
        if depth < 4:
            for inner in _models_in(info.annotation):
                yield from (f"{name.upper()}__{path}" for path in _paths(inner, depth + 1))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []
