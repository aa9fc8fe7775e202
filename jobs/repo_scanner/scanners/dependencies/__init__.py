"""The dependencies scanner: lockfiles → components (for the SBOM and the license check) →
matched against an OSV database on disk, offline.

Without a database it says it did not run (`ran=False`), never "no vulnerabilities": the trap
of tools that check nothing offline and report a clean bill. A lockfile it cannot read, an
advisory it cannot parse, a version it cannot compare: each an errors entry naming it.
"""

from __future__ import annotations

from pathlib import Path

from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.dependencies.component import Component
from jobs.repo_scanner.scanners.dependencies.lockfiles import parser_for, read
from jobs.repo_scanner.scanners.dependencies.osv import Advisory, Database, load
from jobs.repo_scanner.scanners.dependencies.ranges import Undecided, affects

NOT_CONFIGURED = "no osv_db configured: dependencies were not checked"
MAX_LOCKFILE_BYTES = 50_000_000


def components_of(checkout: Checkout, report: ScanReport) -> list[Component]:
    """Every lockfile of the checkout, parsed; problems become errors entries naming the file."""
    found: list[Component] = []
    unpinned = lockfiles = 0
    for path in checkout.files:
        parser = parser_for(path)
        if parser is None:
            continue
        source = f"dependencies:{path}"
        try:
            data = (checkout.root / path).read_bytes()
        except OSError as exc:
            report.errors.append(RunError(source, f"unreadable: {exc.strerror or exc}"))
            continue
        if len(data) > MAX_LOCKFILE_BYTES:
            report.errors.append(RunError(source, f"larger than {MAX_LOCKFILE_BYTES} bytes: not read"))
            continue
        lockfiles += 1
        parsed = read(parser, data.decode("utf-8", "replace"), path)
        report.errors.extend(RunError(source, problem) for problem in parsed.problems)
        found.extend(parsed.components)
        unpinned += parsed.unpinned
    report.stats.update(lockfiles=lockfiles, components=len(found), unpinned=unpinned)
    return found


def hit_of(component: Component, advisory: Advisory, fixed: str | None, env: ScanEnv) -> Hit:
    c = component
    fix = f"fixed in {fixed}" if fixed else "no fixed version"
    return Hit(
        type="vulnerability",
        scanner="dependencies",
        rule=advisory.id,
        path=c.path,
        line=c.line,
        message=f"{c.name} {c.version}: {advisory.summary} ({fix})",
        fingerprint=env.fingerprints.of("vuln", advisory.id, c.ecosystem, c.name, c.version, c.path),
        category="vulnerability",
        cvss=advisory.cvss,
        extra={
            "advisory": advisory.id,
            "aliases": list(advisory.aliases),
            "fixed_version": fixed,
            "package": c.name,
            "version": c.version,
            "ecosystem": c.ecosystem,
            **({"cvss_vector": advisory.vector} if advisory.vector else {}),
        },
    )


def match(components: list[Component], db: Database, env: ScanEnv, report: ScanReport) -> None:
    """A hit per (component, advisory); an advisory matched by several `affected[]` entries
    is one hit. A comparison that cannot be made is an error, never a pass."""
    for component in components:
        seen: set[str] = set()
        for advisory, entry in db.candidates(component.ecosystem, component.name):
            if advisory.id in seen:
                continue
            try:
                verdict = affects(component.ecosystem, component.version, entry)
            except Undecided as exc:
                report.errors.append(
                    RunError(
                        f"dependencies:{component.path}",
                        f"{component.name} {component.version} not compared with {advisory.id}: {exc}",
                    )
                )
                continue
            if verdict.affected:
                seen.add(advisory.id)
                report.hits.append(hit_of(component, advisory, verdict.fixed, env))


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    report = ScanReport()
    components = components_of(checkout, report)
    report.components = [c.record() for c in components]
    configured = env.cfg.scanners.dependencies.osv_db
    if not configured:
        report.ran = False
        report.stats["why_not_run"] = NOT_CONFIGURED
        return report
    root = Path(configured)
    if not root.is_dir():
        report.ran = False
        report.stats["why_not_run"] = f"osv_db {configured} is not a folder: dependencies were not checked"
        report.errors.append(RunError("dependencies:osv_db", f"{configured}: not a folder"))
        return report
    db = load(root)
    report.errors.extend(RunError(f"dependencies:osv_db:{name}", why) for name, why in db.problems)
    if not db.advisories:  # an empty or unpacked-nowhere download is not "no vulnerabilities"
        report.ran = False
        report.stats["why_not_run"] = f"osv_db {configured} holds no advisory: dependencies were not checked"
        report.errors.append(RunError("dependencies:osv_db", f"{configured}: no OSV advisory in it"))
        return report
    report.stats.update(osv_db=configured, osv_db_updated=db.newest, advisories=db.advisories)
    match(components, db, env, report)
    return report
