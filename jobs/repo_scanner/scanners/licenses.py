"""The licenses scanner: each dependency's declared license against `licenses.deny`/`allow`.

Declarations come from the lockfile where it carries them, else from an environment installed
in the repository (license_sources.py); the lockfile wins for a package both name. A denied
license is a `license:denied` hit, an unknown or unparseable one (proprietary, a LicenseRef,
free text, none declared in an installed package) a `license:unknown` hit, whose severity
`licenses.unknown` sets. A dependency a lockfile lists without license metadata and that is
not installed here is counted (`undetermined`), not judged: nothing here states its license.

The repository's own LICENSE/COPYING file is identified and reported in the stats
(`licenses_repository`), never a finding: the deny list is about what others' code obliges
you to when you distribute it; which license you chose for your own code is yours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from jobs.core.model import RunError
from jobs.repo_scanner.license_text import FILE_NAMES, identify
from jobs.repo_scanner.licensing import Judgement, Verdict, judge
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.dependencies import components_of
from jobs.repo_scanner.scanners.dependencies.component import normalize
from jobs.repo_scanner.scanners.license_sources import (
    Declared,
    SourceError,
    dist_infos,
    installed_npm,
    installed_python,
    node_modules,
    read_text,
)


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    report = ScanReport()
    declared, undetermined = declarations(checkout, env, report)
    settings = env.cfg.scanners.licenses
    counts = {"allowed": 0, "denied": 0, "unknown": 0}
    for item in declared:
        judgement = judge(item.license, settings.deny, settings.allow)
        counts[judgement.verdict.name.lower()] += 1
        if judgement.verdict is not Verdict.ALLOWED:
            report.hits.append(hit(item, judgement, env))
    report.stats.update({"dependencies": len(declared), **counts, "undetermined": undetermined})
    report.stats["repository"] = own_license(checkout.root, report.errors, checkout.target.name)
    return report


Key = tuple[str, str, str]


def _key(ecosystem: str, name: str, version: str) -> Key:
    return ecosystem, normalize(ecosystem, name), version


def declarations(checkout: Checkout, env: ScanEnv, report: ScanReport) -> tuple[list[Declared], int]:
    """(one declaration per ecosystem, name and version; how many locked dependencies state
    no license anywhere here). A locked dependency is located at its lockfile line; its
    license is the lockfile's, else the installed package's. Installed packages no lockfile
    names are judged too: they are what ships."""
    scratch = ScanReport()
    locked = components_of(checkout, scratch)
    if not env.cfg.scanners.dependencies.enabled:  # else that scanner reports its unreadable lockfiles
        report.errors.extend(scratch.errors)
    root = checkout.root
    installed = _read_all(root, node_modules(root), lambda text, rel: [installed_npm(text, rel)], report)
    installed += _read_all(root, dist_infos(root), lambda text, rel: [installed_python(text, rel)], report)
    by_key = {_key(d.ecosystem, d.name, d.version): d for d in installed}
    found: dict[Key, Declared] = {}
    undetermined: set[Key] = set()
    for c in locked:
        key = _key(c.ecosystem, c.name, c.version)
        there = by_key.get(key)
        if key in found:
            continue
        if c.license is not None:
            found[key] = Declared(c.ecosystem, c.name, c.version, c.path, c.line, c.license, c.path)
        elif there is not None:
            found[key] = Declared(c.ecosystem, c.name, c.version, c.path, c.line, there.license, there.path)
        else:
            undetermined.add(key)
    for key, item in by_key.items():
        found.setdefault(key, replace(item, source=item.path))
    return sorted(found.values(), key=lambda d: (d.path, d.line, d.name, d.version)), len(undetermined - set(found))


def _read_all(
    root: Path, paths: Iterable[Path], parse: Callable[[str, str], list[Declared]], report: ScanReport
) -> list[Declared]:
    """Each file parsed on its own: one unreadable file is an errors entry naming it."""
    found: list[Declared] = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            found.extend(parse(read_text(root, path), rel))
        except (OSError, SourceError) as exc:
            report.errors.append(RunError(f"licenses:{rel}", f"{rel}: {exc}"))
    return found


def hit(item: Declared, judgement: Judgement, env: ScanEnv) -> Hit:
    denied = judgement.verdict is Verdict.DENIED
    shown = judgement.expression or "none declared"
    if denied:
        message = f"{item.name} {item.version}: license {shown} is denied ({', '.join(judgement.denied)})"
    else:
        message = f"{item.name} {item.version}: license {shown} is not a known SPDX license"
    return Hit(
        type="license",
        scanner="licenses",
        rule=judgement.denied[0] if denied else "license:unknown",
        path=item.path,
        line=item.line,
        message=message,
        fingerprint=env.fingerprints.of("license", item.ecosystem, item.name, item.version, judgement.expression),
        category="license:denied" if denied else "license:unknown",
        extra={
            "package": item.name,
            "version": item.version,
            "ecosystem": item.ecosystem,
            "license": judgement.expression,
            "declared_in": item.source or item.path,
            **({"denied": list(judgement.denied)} if denied else {"unknown": list(judgement.unknown)}),
        },
    )


def own_license(root: Path, errors: list[RunError], name: str) -> dict[str, str] | None:
    """The repository's own license file and what it is (None: it has none)."""
    wanted = {n.casefold() for n in FILE_NAMES}
    for path in sorted(p for p in root.iterdir() if p.name.casefold() in wanted):
        file_name = path.name
        if path.is_file() and not path.is_symlink():
            try:
                return {"file": file_name, "license": identify(read_text(root, path))}
            except (OSError, SourceError) as exc:
                errors.append(RunError(f"licenses:{name}", f"{file_name}: {exc}"))
                return {"file": file_name, "license": "unknown"}
    return None
