"""Reading the YAML files operators write: settings, whitelists, price lists.

One reader so every file fails the same way: with the parser's reason, line and column
(never the line's text, which may hold a secret), and with a key written twice in one
mapping as an error: PyYAML keeps the last spelling silently, so a `dry_run: false` further
down would win over the `dry_run: true` someone reads at the top.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node


class YamlProblem(ValueError):
    """A YAML file that cannot be used; the message says where and why. A ValueError, so a
    settings validator that reads a file reports it under its own key."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load's loader, refusing duplicate keys (merge keys `<<` may still be overridden)."""


def _no_duplicates(loader: yaml.SafeLoader, node: Node, deep: bool = False) -> Any:
    assert isinstance(node, MappingNode)
    first: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            earlier = first.setdefault(key, key_node.start_mark)
        except TypeError:  # an unhashable key: construct_mapping says so with its own message
            continue
        if earlier is not key_node.start_mark:
            raise ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {earlier.line + 1})", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=deep)


def _checked_timestamp(loader: yaml.SafeLoader, node: Node) -> Any:
    """A date-shaped scalar that is no date (`2027-02-30`, `2026-13-01`) is a YAML problem at
    its line, not a ValueError from deep inside the parser (a traceback naming nothing)."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConstructorError(None, None, f"not a date or time: {exc}", node.start_mark) from None


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)


def describe(exc: yaml.YAMLError) -> str:
    """`line 3, column 7: <problem> (<context> at line 1, column 4)`, from the parser's marks."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML forbids, e.g. NUL
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return f"offset {exc.position}: not valid YAML: {exc.reason} #x{char:04x}"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"not valid YAML: {type(exc).__name__}"
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    context = ""
    if exc.context:
        cm = exc.context_mark
        at = f" at line {cm.line + 1}, column {cm.column + 1}" if cm and cm is not mark else ""
        context = f" ({exc.context}{at})"
    return f"{where}not valid YAML: {exc.problem or 'unreadable'}{context}"


def parse(text: str) -> Any:
    """The document in `text`; YamlProblem when it is not valid YAML or repeats a key."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise YamlProblem(describe(exc)) from None
    except RecursionError:
        raise YamlProblem("not valid YAML: nested too deeply") from None


def read(path: str | os.PathLike[str]) -> Any:
    """The document in the file at `path`; YamlProblem naming why it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlProblem(f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise YamlProblem(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    return parse(text)
