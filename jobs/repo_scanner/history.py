"""History: the commits not scanned yet on each branch, their added lines through the secrets
engine.

Per branch, the range comes from its watermark in the state DB (history_store.py): none yet,
every commit of the branch; the watermark an ancestor of the tip, `watermark..tip`; not an
ancestor (a force-push rewrote the branch), from the merge base, said so (`rewritten`). With
`since` (--since REV, a push's `before`) exactly `since..tip` (or `since..until`) is read and
no watermark moves. A commit on several branches is read once per run; a merge is read
against its first parent (what the merge brought is read in the merged commits themselves).
The watermarks move only when the plan's `record_history` action stores this run's hits
(a dry run moves nothing, so the next run reads the same commits again).

`stored`: hits earlier runs recorded, still reachable from a branch scanned now; a hit whose
commit a rewrite removed from every branch is no longer reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobs.core.model import RunError
from jobs.core.state.engine import StateStore
from jobs.repo_scanner import history_store
from jobs.repo_scanner.model import BranchProgress, Checkout, Hit
from jobs.repo_scanner.patches import FORMAT, CommitPatch, parse
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.secrets.match import Match, hit_from_match
from jobs.repo_scanner.targets.git import Git, GitError

#: `git log` options: each listed commit (--no-walk, from stdin), its patch against its first
#: parent, added lines only, no rename pairing, nothing a repository's config could add
LOG = (
    "log",
    "--no-walk=unsorted",
    "--stdin",
    "--patch",
    "--unified=0",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--no-show-signature",
    "--diff-merges=first-parent",
    "--root",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    f"--format={FORMAT}",
)
NO_COMMIT = "0" * 40  # a push's `before` when it created the branch


class TextScanner(Protocol):
    """What history needs of the secrets engine (engine.Engine)."""

    def scan_text(self, path: str, text: str) -> list[Match]: ...


@dataclass
class HistoryScan:
    hits: list[Hit] = field(default_factory=list)  # new: from commits this run scanned
    stored: list[Hit] = field(default_factory=list)  # earlier runs', still reachable
    progress: list[BranchProgress] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def scan_history(checkout: Checkout, env: ScanEnv, state: StateStore, since: str | None) -> HistoryScan:
    from jobs.repo_scanner.scanners.secrets.engine import Engine

    return scan_with(Engine.load(env.cfg.scanners.secrets, checkout.root), checkout, env, state, since)


def scan_with(
    engine: TextScanner, checkout: Checkout, env: ScanEnv, state: StateStore, since: str | None
) -> HistoryScan:
    """`scan_history` with the engine handed in."""
    found = HistoryScan()
    name = checkout.target.name
    if checkout.git_dir is None:
        if since:
            found.errors.append(RunError(f"history:{name}", f"--since {since}: not a git repository"))
        return found
    git = Git(env.cfg.git_timeout_seconds, git_dir=checkout.git_dir, cwd=checkout.git_dir)
    for branch in checkout.target.branches:
        if branch not in checkout.tips:
            found.errors.append(RunError(f"history:{name}", f"branch {branch!r}: not in the repository"))
    try:
        ranges = since_ranges(git, checkout, since) if since else watermark_ranges(git, checkout, state, found)
        commits = unscanned(git, ranges)
        scan_commits(git, engine, env, checkout, commits, found)
        if not since and shallow(git):
            found.errors.append(RunError(f"history:{name}", SHALLOW))
            found.progress = []  # the history before the cut is unread: a watermark would skip it for good
        found.stored = reachable(git, history_store.stored_hits(state, name), checkout.tips.values())
    except GitError as exc:
        found.errors.append(RunError(f"history:{name}", str(exc)))
        found.progress = []  # nothing read completely: no watermark may move
    return found


SHALLOW = (
    "a shallow clone: the history before its oldest commit cannot be read, so no watermark moves "
    "(`git fetch --unshallow`, or scan it with --since)"
)


def shallow(git: Git) -> bool:
    done = git.run("rev-parse", "--is-shallow-repository", check=False)
    return done.returncode == 0 and done.stdout.decode().strip() == "true"


def since_ranges(git: Git, checkout: Checkout, since: str) -> list[list[str]]:
    """`since..until`, or `since..tip` of each branch; all of a branch for a created one."""
    ends = [checkout.target.until] if checkout.target.until else list(checkout.tips.values())
    if since == NO_COMMIT:
        return [[end] for end in ends]
    base = resolve(git, since, "--since")
    return [[resolve(git, end, "until"), f"^{base}"] for end in ends]


def resolve(git: Git, revision: str, what: str) -> str:
    done = (
        None
        if revision.startswith("-")
        else git.run("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
    )
    if done is None or done.returncode != 0:
        raise GitError(f"{what} {revision}: no such commit in the repository")
    return done.stdout.decode().strip()


def watermark_ranges(git: Git, checkout: Checkout, state: StateStore, found: HistoryScan) -> list[list[str]]:
    """Each branch's unscanned range, and the progress that moving its watermark records."""
    marks = history_store.watermarks(state, checkout.target.name)
    ranges: list[list[str]] = []
    for branch, tip in checkout.tips.items():
        mark = marks.get(branch)
        if mark == tip:
            continue
        if mark is None:
            ranges.append([tip])
            found.progress.append(BranchProgress(branch, tip, None))
        elif git.ok("merge-base", "--is-ancestor", mark, tip):
            ranges.append([tip, f"^{mark}"])
            found.progress.append(BranchProgress(branch, tip, mark))
        else:  # rewritten: from where the old and new histories part
            base = git.run("merge-base", mark, tip, check=False).stdout.decode().split()
            ranges.append([tip, *(f"^{b}" for b in base[:1])])
            found.progress.append(BranchProgress(branch, tip, mark, rewritten=True))
    return ranges


def unscanned(git: Git, ranges: Sequence[Sequence[str]]) -> list[str]:
    """The commits of every range, each once, oldest first within its range."""
    seen: dict[str, None] = {}
    for revisions in ranges:
        listed = git.run("rev-list", "--reverse", "--stdin", input="\n".join(revisions).encode() + b"\n")
        seen.update(dict.fromkeys(listed.stdout.decode().split()))
    return list(seen)


def scan_commits(
    git: Git, engine: TextScanner, env: ScanEnv, checkout: Checkout, commits: list[str], found: HistoryScan
) -> None:
    limit = env.cfg.scanners.secrets.max_file_bytes
    stats = {"history_commits": 0, "history_binary_skipped": 0, "history_huge_skipped": 0}
    if commits:
        with git.stream(*LOG, input="\n".join(commits).encode() + b"\n") as out:
            for patch in parse(out):
                stats["history_commits"] += 1
                stats["history_binary_skipped"] += patch.binary
                found.hits.extend(hits_of(patch, engine, env, limit, stats))
    stats["history_branches"] = len(checkout.tips)
    stats["history_rewritten"] = sum(1 for p in found.progress if p.rewritten)
    found.stats.update(stats)


def hits_of(patch: CommitPatch, engine: TextScanner, env: ScanEnv, limit: int, stats: dict[str, int]) -> Iterator[Hit]:
    """The secrets in one commit's added lines, at their lines in the file it made."""
    for added in patch.files:
        if added.size > limit:
            stats["history_huge_skipped"] += 1
            continue
        text = "\n".join(line for _, line in added.lines)
        for match in engine.scan_text(added.path, text):
            if not 1 <= match.line <= len(added.lines):
                continue
            yield hit_from_match(
                match,
                added.path,
                env.fingerprints,
                line=added.lines[match.line - 1][0],
                commit=patch.commit,
                author=patch.author,
                date=patch.date,
            )


def reachable(git: Git, hits: list[Hit], tips: Iterable[str]) -> list[Hit]:
    """The hits whose commit a tip still reaches (read until every such commit is seen)."""
    wanted = {h.commit for h in hits if h.commit}
    heads = list(tips)
    if not wanted or not heads:
        return []
    seen: set[str] = set()
    with git.stream("rev-list", "--stdin", input="\n".join(heads).encode() + b"\n") as out:
        for line in out:
            commit = line.decode().strip()
            if commit in wanted:
                seen.add(commit)
                if seen == wanted:
                    break
    return [h for h in hits if h.commit in seen]
