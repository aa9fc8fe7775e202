"""Our secrets scanner alone over one folder: `secret_scan_once.py DIR OUT.json`.

Run by the secrets bench as its own process (so /usr/bin/time measures its RSS alone): it builds
the Checkout the job would hand the scanner (every file, no git), calls the SCANNERS entry's
`scan`, and writes the hits (path, line, rule: never a secret, a Hit holds none) and the seconds
the scan took, without interpreter start-up, imports and the file listing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    from jobs.core.registry import load_attr
    from jobs.repo_scanner.fingerprint import Fingerprinter
    from jobs.repo_scanner.model import Checkout, ScanTarget
    from jobs.repo_scanner.scanners import SCANNERS, ScanEnv
    from jobs.repo_scanner.settings import RepoScannerSettings

    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    checkout = Checkout(ScanTarget(root.name, path=str(root), source="cli"), root, files, None, None)
    scan = load_attr(SCANNERS["secrets"].target)
    start = time.perf_counter()
    report = scan(checkout, ScanEnv(RepoScannerSettings(), Fingerprinter()))
    seconds = time.perf_counter() - start
    note = "" if report.ran else f"did not run: {report.stats.get('why_not_run', '?')}"
    if report.errors:
        note += f" {len(report.errors)} errors, first: {report.errors[0]}"
    hits = [{"path": h.path, "line": h.line, "rule": h.rule} for h in report.hits if h.type == "secret"]
    out.write_text(
        json.dumps({"seconds": seconds, "hits": hits, "note": note.strip(), "stats": report.stats}, default=str)
    )


if __name__ == "__main__":
    main()
