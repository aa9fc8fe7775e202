"""Imports point one way: no cycle anywhere in jobs/ and notifications/, and the core's layers
import only the layers below them (ARCHITECTURE.md, "Layout"). Every import counts: module
level, inside functions and under TYPE_CHECKING, read from the source (the AST), not from
what happens to be loaded."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jobs", "notifications")

#: jobs/core bottom to top: a module imports only modules before it (a package, e.g.
#: `clients`, counts as one layer, whose modules may import one another)
LAYERS = [
    # leaves: nothing of the core but one another
    "errors",
    "redact",
    "digits",
    "cadence",
    "crontab",
    "yamlfile",
    "environment",
    "permissions",
    "alerting",
    "schema",
    "model",
    "isolation",
    "retry",
    "durability",
    "logs",
    "metrics",
    "clients",
    "refs",
    "report",
    # the job table, pure data, and what reads only it
    "registry",
    "listing",
    # settings built from the sections they are handed
    "settings",
    # state and what decides over it
    "state",
    "alerts",
    # what a job is
    "context",
    "job",
    # the table's strings resolved against job and settings
    "resolve",
    "settings_doc",
    "audit",
    # what the public routes of the function URL share (headers, body cap, settings once)
    "http_route",
    # deployment generators: the table, the settings and the declared permissions
    "deploy",
    # the run
    "intents",
    "delivery",
    "locking",
    "record",
    "runtime",
    "apply",
    "runner",
    # the one service
    "invoke",
    # entry points: input → RunRequest; none imports another
    "cli",
    "scheduler",
    "aws_lambda",
]
ENTRY_POINTS = ("jobs.core.cli", "jobs.core.scheduler", "jobs.core.aws_lambda", "jobs.demo")


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _resolve(name: str) -> str | None:
    """The project module an import names (`a.b.c` may be a name inside module `a.b`)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.AST, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            up = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*up, base] if base else up)
        submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules()]
        yield from submodules or [base]


@cache
def graph() -> dict[str, frozenset[str]]:
    edges: dict[str, frozenset[str]] = {}
    for name, path in modules().items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _targets(node, package):
                resolved = _resolve(target)
                if resolved and resolved != name and not resolved.startswith(name + "."):
                    found.add(resolved)
        edges[name] = frozenset(found)
    return edges


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each from its first
    module around the loop, so the message shows the cycle itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(_loop([v, *component], edges))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def _loop(component: list[str], edges: dict[str, frozenset[str]]) -> list[str]:
    """One path from the component's first module back to it, through the component."""
    members, start = set(component), min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        here = queue.pop(0)
        for nxt in sorted(edges[here] & members):
            if nxt == start:
                return [*paths[here], start]
            if nxt not in paths:
                paths[nxt] = [*paths[here], nxt]
                queue.append(nxt)
    return sorted(members)


def layer(module: str) -> int | None:
    """The index in LAYERS of a jobs.core module (its package's, for clients.aws), or None."""
    name = module.removeprefix("jobs.core.")
    for i, entry in enumerate(LAYERS):
        if name == entry or name.startswith(entry + "."):
            return i
    return None


def core_modules() -> list[str]:
    return [m for m in modules() if m.startswith("jobs.core.")]


def test_the_import_graph_of_jobs_and_notifications_has_no_cycle() -> None:
    found = cycles(dict(graph()))
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_and_a_type_checking_import() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(edges) == [["a", "b", "c", "a"]]
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from jobs.core.job import BaseJob\n"
                     "def f():\n    from jobs.core import runner\n")  # fmt: skip
    targets = {t for node in ast.walk(tree) for t in _targets(node, "jobs.core")}
    assert {"jobs.core.job", "jobs.core.runner"} <= targets


def test_every_core_module_has_a_layer() -> None:
    assert [m for m in core_modules() if layer(m) is None] == [], "add them to LAYERS"


def test_the_core_imports_only_downwards() -> None:
    upward = []
    for module in core_modules():
        here = layer(module)
        assert here is not None
        for target in sorted(graph()[module]):
            there = layer(target) if target.startswith("jobs.core.") else None
            if there is not None and there >= here and LAYERS[there] != LAYERS[here]:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_core_imports_no_job_package_and_no_entry_point_outside_it() -> None:
    """Job code is reached only through the registry's lazy strings ("package.module:Class")."""
    outside = [
        f"{m} -> {t}"
        for m in core_modules()
        for t in sorted(graph()[m])
        if t.startswith("jobs.") and not t.startswith("jobs.core.") and t != "jobs.core"
    ]
    assert outside == []


def test_no_entry_point_imports_another() -> None:
    def entry(module: str) -> str | None:
        return next((e for e in ENTRY_POINTS if module == e or module.startswith(e + ".")), None)

    crossing = [
        f"{m} -> {t}" for m in modules() for t in sorted(graph()[m]) if entry(m) and entry(t) and entry(m) != entry(t)
    ]
    assert crossing == []


def test_notifications_use_only_the_cores_bottom_layers() -> None:
    """The channels share the error tree, redaction, retries and the lazy loader with the core
    (README, "Development"), nothing from settings up: settings import notifications."""
    ceiling = LAYERS.index("settings")
    above = [
        f"{m} -> {t}"
        for m in modules()
        if m.startswith("notifications")
        for t in sorted(graph()[m])
        if t.startswith("jobs.") and (layer(t) is None or layer(t) >= ceiling)
    ]
    assert above == []
