"""An OSV database on disk: a folder of advisories as OSV publishes them (one JSON per
advisory, in per-ecosystem subfolders or not) and/or its per-ecosystem `all.zip` archives.
Read once per process and indexed by (ecosystem, normalized package name); an unreadable
advisory is a problem naming its file, and the others still count."""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jobs.repo_scanner.scanners.dependencies.component import GO, NPM, PYPI, normalize
from jobs.repo_scanner.scanners.dependencies.cvss import score

ECOSYSTEMS = frozenset({PYPI, NPM, GO})
MAX_ADVISORY_BYTES = 5_000_000


@dataclass(frozen=True)
class Advisory:
    id: str
    summary: str
    aliases: tuple[str, ...]
    cvss: float | None
    vector: str | None


@dataclass
class Database:
    root: str
    #: (ecosystem, normalized name) → (advisory, the `affected[]` entry naming that package)
    index: dict[tuple[str, str], list[tuple[Advisory, Mapping[str, Any]]]] = field(default_factory=dict)
    advisories: int = 0
    withdrawn: int = 0
    newest: str | None = None  # the latest `modified`, ISO 8601 UTC
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def candidates(self, ecosystem: str, name: str) -> list[tuple[Advisory, Mapping[str, Any]]]:
        return self.index.get((ecosystem, normalize(ecosystem, name)), [])


def iso_utc(value: str) -> str:
    """`2024-01-02T03:04:05.123456Z` (or an offset) → `2024-01-02T03:04:05Z`."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def documents(root: Path) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(name, content, why not) of every advisory file: `*.json` anywhere under root, and the
    `*.json` members of every `*.zip` under it."""
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.suffix == ".json" and path.is_file():
            if path.stat().st_size > MAX_ADVISORY_BYTES:
                yield name, None, f"larger than {MAX_ADVISORY_BYTES} bytes: skipped"
                continue
            yield name, path.read_bytes(), None
        elif path.suffix == ".zip" and path.is_file():
            try:
                with zipfile.ZipFile(path) as archive:
                    for member in archive.infolist():
                        if not member.filename.endswith(".json"):
                            continue
                        if member.file_size > MAX_ADVISORY_BYTES:
                            yield f"{name}!{member.filename}", None, "too large: skipped"
                            continue
                        yield f"{name}!{member.filename}", archive.read(member), None
            except (zipfile.BadZipFile, OSError) as exc:
                yield name, None, f"not a readable zip: {exc}"


def advisory_of(data: Any) -> Advisory:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("not an OSV advisory (no `id`)")
    aliases = data.get("aliases") or []
    summary = data.get("summary") or (str(data.get("details") or "").strip().splitlines() or [data["id"]])[0]
    specific = data.get("database_specific")
    label = specific.get("severity") if isinstance(specific, dict) else None
    value, vector = score(data.get("severity") or [], label)
    return Advisory(data["id"], str(summary)[:300], tuple(str(a) for a in aliases if isinstance(a, str)), value, vector)


def add(db: Database, name: str, data: Any) -> None:
    advisory = advisory_of(data)
    if data.get("withdrawn"):
        db.withdrawn += 1
        return
    affected = data.get("affected") or []
    if not isinstance(affected, list):
        raise ValueError("`affected` is not a list")
    db.advisories += 1
    modified = data.get("modified")
    if isinstance(modified, str):
        stamp = iso_utc(modified)
        db.newest = max(db.newest or stamp, stamp)
    for entry in affected:
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict):
            continue
        ecosystem, package_name = str(package.get("ecosystem", "")), package.get("name")
        if ecosystem in ECOSYSTEMS and isinstance(package_name, str):
            db.index.setdefault((ecosystem, normalize(ecosystem, package_name)), []).append((advisory, entry))


@lru_cache(maxsize=4)
def _load(root: str, _stamp: tuple[int, ...]) -> Database:
    db = Database(root)
    for name, content, why in documents(Path(root)):
        if content is None:
            db.problems.append((name, why or "unreadable"))
            continue
        try:
            add(db, name, json.loads(content))
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            db.problems.append((name, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__))
    if db.newest is None:
        mtime = Path(root).stat().st_mtime
        db.newest = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return db


#: a long-lived process (the scheduler) reads the database again at least this often: a
#: file rewritten in place changes no folder's mtime
RELOAD_SECONDS = 3600


def stamp(root: Path) -> tuple[int, ...]:
    """What changes when the database is updated: every folder's mtime (files added, removed
    or renamed) and every zip's; plus the hour, for files rewritten in place."""
    marks = [int(time.monotonic() // RELOAD_SECONDS)]
    for folder, _, names in os.walk(root):
        base = Path(folder)
        marks.append(base.stat().st_mtime_ns)
        marks.extend((base / n).stat().st_mtime_ns for n in names if n.endswith(".zip"))
    return tuple(marks)


def load(root: Path) -> Database:
    """The database at root, read and indexed once per process while it does not change."""
    resolved = root.resolve()
    return _load(str(resolved), stamp(resolved))
