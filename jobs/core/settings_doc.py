"""The configuration reference in the README, generated from the settings models.

`python -m jobs settings-reference` prints it; a test fails when the README differs.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from jobs.core.registry import JOBS
from jobs.core.settings import settings_model

START, END = "<!-- settings-reference:start -->", "<!-- settings-reference:end -->"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    args = typing.get_args(annotation) or (annotation,)
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def _type_name(annotation: Any) -> str:
    if annotation is SecretStr:
        return "secret"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return "section" if issubclass(annotation, BaseModel) else annotation.__name__
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args) + (
            " \\| null" if len(args) < len(typing.get_args(annotation)) else ""
        )
    if origin is dict:
        value = _type_name(args[1])
        return f"map of ({value})" if "|" in value else f"map of {value}"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    return str(annotation)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "" if isinstance(value, BaseModel) else f"`{json.dumps(value)}`"
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return ""
    return f"`{json.dumps(field.default)}`"


def rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        description = (field.description or "").replace("|", "\\|")
        yield f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {description} |"
        for sub in _models_in(field.annotation):
            yield from rows(sub, f"{key}.")


def reference() -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|", *rows(settings_model(JOBS))]
    return "\n".join(lines) + "\n"
