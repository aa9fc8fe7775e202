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
from pathlib import Path

from jobs.core.model import RunError
from jobs.repo_scanner.license_text import FILE_NAMES, identify
from jobs.repo_scanner.licensing import Judgement, Verdict, judge
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.license_sources import (
    Declared,
    SourceError,
    dist_infos,
    installed_npm,
    installed_python,
    node_modules,
    package_lock,
    read_text,
)


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    report = ScanReport()
    declared = declarations(checkout, report)
    settings = env.cfg.scanners.licenses
    counts = {"allowed": 0, "denied": 0, "unknown": 0, "undetermined": 0}
    for item in declared:
        if item.license is None and item.path.endswith("package-lock.json"):
            counts["undetermined"] += 1
            continue
        judgement = judge(item.license, settings.deny, settings.allow)
        counts[judgement.verdict.name.lower()] += 1
        if judgement.verdict is not Verdict.ALLOWED:
            report.hits.append(hit(item, judgement, env))
    report.stats.update({"dependencies": len(declared), **counts})
    report.stats["repository"] = own_license(checkout.root, report.errors, checkout.target.name)
    return report


def declarations(checkout: Checkout, report: ScanReport) -> list[Declared]:
    """One declaration per (ecosystem, name, version): the lockfile's over an installed one's
    when the lockfile states a license."""
    root = checkout.root
    locks = [root / f for f in checkout.files if f.rsplit("/", 1)[-1] == "package-lock.json"]
    found: dict[tuple[str, str, str], Declared] = {}
    for item in _read_all(root, locks, lambda text, rel: package_lock(text, rel), report):
        found.setdefault((item.ecosystem, item.name, item.version), item)
    installed = _read_all(root, node_modules(root), lambda text, rel: [installed_npm(text, rel)], report)
    installed += _read_all(root, dist_infos(root), lambda text, rel: [installed_python(text, rel)], report)
    for item in installed:
        key = (item.ecosystem, item.name, item.version)
        held = found.get(key)
        if held is None or held.license is None:
            found[key] = item
    return sorted(found.values(), key=lambda d: (d.path, d.line, d.name, d.version))


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
