"""The secrets scanner: our own engine (engine.py) over the files of a checkout.

A file is skipped, and counted, when it is binary (a NUL byte), larger than `max_file_bytes`, or
unreadable (an error naming it); undecodable bytes are read as U+FFFD (counted as non_utf8), so
a secret in a Latin-1 file is still found. A repository's `.gitleaks.toml` adds rules; when it
is broken the scan goes on with ours and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jobs.core.errors import ConfigError
from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.secrets.engine import Engine
from jobs.repo_scanner.scanners.secrets.match import hit_from_match

#: files named in stats per reason, at most (the counts are exact)
_NAMED = 20


@dataclass
class _Tally:
    files: int = 0
    bytes: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    non_utf8: int = 0
    large: list[str] = field(default_factory=list)

    def stats(self, engine: Engine) -> dict[str, object]:
        out: dict[str, object] = {
            "files": self.files,
            "bytes": self.bytes,
            "skipped_binary": self.skipped_binary,
            "skipped_large": self.skipped_large,
            "non_utf8": self.non_utf8,
            "rules": len(engine.rules),
        }
        if self.large:
            out["large_files"] = self.large[:_NAMED]
        if engine.notes:
            out["rule_notes"] = list(engine.notes)
        return out


def _engine(checkout: Checkout, env: ScanEnv, errors: list[RunError]) -> Engine:
    """Ours plus the repository's `.gitleaks.toml`; a broken repository file is an error and
    the scan goes on with ours (a broken operator file raises: exit 2)."""
    cfg = env.cfg.scanners.secrets
    base = Engine.load(cfg)
    try:
        return Engine.load(cfg, checkout.root)
    except ConfigError as exc:
        errors.append(RunError(f"secrets:{checkout.target.name}", str(exc)))
        return base


def read(root: Path, rel: str, max_bytes: int, tally: _Tally) -> bytes | None:
    """The bytes of `rel` to scan, valid UTF-8, or None for a file skipped (and counted)."""
    path = root / rel
    if path.stat().st_size > max_bytes:
        tally.skipped_large += 1
        tally.large.append(rel)
        return None
    data = path.read_bytes()
    if b"\0" in data:
        tally.skipped_binary += 1
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        tally.non_utf8 += 1
        data = data.decode("utf-8", "replace").encode("utf-8")
    tally.files += 1
    tally.bytes += len(data)
    return data


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    report = ScanReport()
    engine = _engine(checkout, env, report.errors)
    tally = _Tally()
    max_bytes = env.cfg.scanners.secrets.max_file_bytes
    for rel in checkout.files:
        try:
            data = read(checkout.root, rel, max_bytes, tally)
        except OSError as exc:
            report.errors.append(RunError(f"secrets:{checkout.target.name}:{rel}", f"unreadable: {exc.strerror}"))
            continue
        if data is not None:
            report.hits.extend(_hits(engine, rel, data, env))
    report.stats = tally.stats(engine)
    return report


def _hits(engine: Engine, rel: str, data: bytes, env: ScanEnv) -> list[Hit]:
    return [hit_from_match(match, rel, env.fingerprints) for match in engine.scan_bytes(rel, data)]
