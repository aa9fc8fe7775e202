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
from pydantic_core import PydanticUndefined, to_jsonable_python

from jobs.core.registry import JOBS
from jobs.core.resolve import sections
from jobs.core.settings import settings_model

START, END = "<!-- settings-reference:start -->", "<!-- settings-reference:end -->"


def _models_in(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """The sections inside a field, each with the suffix its keys get: `[kind=postgres]` for
    the members of a union told apart by `kind`."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    args = typing.get_args(annotation) or (annotation,)
    if typing.get_origin(annotation) in (list, dict):
        return _models_in(args[-1])
    models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
    if len(models) > 1 and all(_kind(m) for m in models):
        return [(f"[kind={_kind(m)}]", m) for m in models]
    return [("", m) for m in models]


def _kind(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("kind")
    values = typing.get_args(field.annotation) if field else ()
    return str(values[0]) if len(values) == 1 else None


def _type_name(annotation: Any) -> str:
    if annotation is SecretStr:
        return "secret"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return "section" if issubclass(annotation, BaseModel) else annotation.__name__
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    kinds = [_kind(a) for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
    if len(kinds) > 1 and all(kinds):
        return "section, one of kind " + " \\| ".join(str(k) for k in kinds)
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
        return "" if isinstance(value, BaseModel) else f"`{json.dumps(to_jsonable_python(value))}`"
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
        for suffix, sub in _models_in(field.annotation):
            yield from rows(sub, f"{key}{suffix}.")


def reference() -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|", *rows(settings_model(sections(JOBS)))]
    return "\n".join(lines) + "\n"
