"""The secrets scanner: our own engine (engine.py) over the files of a checkout.

Files are read by files.py (skipped ones counted: binary, larger than `max_file_bytes`; an
unreadable one is an error naming it). A repository's `.gitleaks.toml` adds rules; when it is
broken the scan goes on with ours and says so.
"""

from __future__ import annotations

from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.secrets.engine import Engine
from jobs.repo_scanner.scanners.secrets.files import Tally, read_all
from jobs.repo_scanner.scanners.secrets.match import hit_from_match

#: files named in stats per reason, at most (the counts are exact)
_NAMED = 20


def _stats(tally: Tally, engine: Engine) -> dict[str, object]:
    out: dict[str, object] = {
        "files": tally.files,
        "bytes": tally.bytes,
        "skipped_binary": tally.skipped_binary,
        "skipped_large": tally.skipped_large,
        "non_utf8": tally.non_utf8,
        "rules": len(engine.rules),
    }
    if tally.large:
        out["large_files"] = tally.large[:_NAMED]
    if engine.notes:
        out["rule_notes"] = list(engine.notes)
    return out


def _engine(checkout: Checkout, env: ScanEnv, errors: list[RunError]) -> Engine:
    """Ours plus the repository's `.gitleaks.toml`; a broken repository file is an error and
    the scan goes on with ours (a broken operator file raises: exit 2)."""
    engine = Engine.load(env.cfg.scanners.secrets, checkout.root)
    errors.extend(RunError(f"secrets:{checkout.target.name}", problem) for problem in engine.problems)
    return engine


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    report = ScanReport()
    engine = _engine(checkout, env, report.errors)
    tally = Tally()
    for read in read_all(checkout.root, checkout.files, env.cfg.scanners.secrets.max_file_bytes):
        tally.count(read)
        if read.error is not None:
            report.errors.append(RunError(f"secrets:{checkout.target.name}:{read.rel}", f"unreadable: {read.error}"))
        elif read.data is not None:
            report.hits.extend(_hits(engine, read.rel, read.data, env))
    report.stats = _stats(tally, engine)
    return report


def _hits(engine: Engine, rel: str, data: bytes, env: ScanEnv) -> list[Hit]:
    return [hit_from_match(match, rel, env.fingerprints) for match in engine.scan_bytes(rel, data)]
