"""A target made readable: the files of one commit (or of a plain folder) and the branch tips.

- A working tree is scanned as it is: tracked and untracked files, not ignored
  (`git ls-files -co --exclude-standard`), no symlink followed, nothing under `.git`.
- A folder that is not a repository is walked (no history: head None).
- A bare repository (and the cache's clone of a remote, remote.py) has no files: HEAD's tree is
  written into a temporary folder, removed afterwards. Blob by blob through `cat-file --batch`,
  not `git archive`: a tree's own `.gitattributes` could hide files from an archive
  (`export-ignore`) or run a filter; symlinks and submodules are skipped, and a path that
  would leave the folder (`..`, `.git`) is never written.

Paths are decoded as the file system does (`os.fsdecode`), so a non-UTF-8 file name opens.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from jobs.core.context import JobContext
from jobs.core.errors import PermanentError
from jobs.repo_scanner.model import Checkout, ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings
from jobs.repo_scanner.targets.git import Git
from jobs.repo_scanner.targets.remote import REMOTE_HEAD, fetched

#: ls-tree modes written out: regular files (symlinks 120000 and submodules 160000 are not)
_FILE_MODES = (b"100644", b"100755")


@contextmanager
def checked_out(target: ScanTarget, cfg: RepoScannerSettings, ctx: JobContext) -> Iterator[Checkout]:
    """The checkout of `target`; a temporary export is removed when the block ends."""
    if target.url is not None:
        history = cfg.history or bool(target.since or ctx.options.get("since"))
        cache = fetched(target, cfg, ctx, history=history)
        with exported(target, Git(cfg.git_timeout_seconds, git_dir=cache), REMOTE_HEAD) as checkout:
            yield checkout
        return
    if target.path is None:
        raise PermanentError(f"target {target.name}: neither a path nor a url")
    root = Path(target.path)
    if not root.is_dir():
        raise PermanentError(f"{target.path}: no such directory (gone since it was configured?)")
    git = Git(cfg.git_timeout_seconds, cwd=root, ceiling=root.resolve().parent)
    found = git.run("rev-parse", "--is-bare-repository", "--absolute-git-dir", check=False)
    if found.returncode != 0:  # not a repository: its files, no history
        yield Checkout(target, root, walked(root), None, None)
        return
    bare, git_dir = os.fsdecode(found.stdout).split("\n")[:2]
    repo = Git(cfg.git_timeout_seconds, git_dir=Path(git_dir))
    if bare == "true":
        with exported(target, repo) as checkout:
            yield checkout
        return
    head = head_of(repo)
    yield Checkout(target, root, working_files(git, root), head, Path(git_dir), tips(repo, target, head))


def head_of(git: Git, *revisions: str) -> str | None:
    """The commit of the first of `revisions` that exists, else HEAD's; None in an empty
    repository."""
    for revision in (*revisions, "HEAD"):
        done = git.run("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.decode().strip()
    return None


def working_files(git: Git, root: Path) -> list[str]:
    """Tracked and untracked, not ignored, regular files only (a tracked file deleted in the
    working tree, a symlink, a submodule or a nested repository's folder is not a file)."""
    listed = git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    files: list[str] = []
    for raw in sorted(set(listed.split(b"\0"))):
        if not raw:
            continue
        name = os.fsdecode(raw)
        if ".git" in name.split("/") or not _regular(root / name):
            continue
        files.append(name)
    return files


def walked(root: Path) -> list[str]:
    """A plain folder's regular files, sorted; symlinks are neither followed nor listed."""
    files: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".git" and not Path(folder, d).is_symlink())
        for name in names:
            path = Path(folder, name)
            if _regular(path):
                files.append(path.relative_to(root).as_posix())
    return sorted(files)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@contextmanager
def exported(target: ScanTarget, git: Git, *revisions: str) -> Iterator[Checkout]:
    """HEAD's tree (or the first of `revisions` there is) of a repository without a working
    tree, in a folder removed afterwards."""
    head = head_of(git, *revisions)
    with tempfile.TemporaryDirectory(prefix="secops-export-") as tmp:
        root = Path(tmp)
        files = export_tree(git, head, root) if head else []
        yield Checkout(target, root, files, head, git.git_dir, tips(git, target, head))


def tree_blobs(git: Git, commit: str) -> list[tuple[str, str]]:
    """(blob id, path) of each regular file in `commit`'s tree whose path stays inside."""
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", commit).stdout
    blobs: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        meta, _, raw = record.partition(b"\t")
        fields = meta.split(b" ")
        if len(fields) != 3 or fields[0] not in _FILE_MODES or fields[1] != b"blob":
            continue
        name = os.fsdecode(raw)
        if any(part in ("", ".", "..", ".git") for part in name.split("/")):
            continue  # git refuses to check these out; so do we
        blobs.append((fields[2].decode(), name))
    return blobs


def export_tree(git: Git, commit: str, root: Path) -> list[str]:
    """Write `commit`'s files under `root` (one `cat-file --batch`); their paths, sorted."""
    blobs = tree_blobs(git, commit)
    request = b"".join(sha.encode() + b"\n" for sha, _ in blobs)
    with git.stream("cat-file", "--batch", input=request) as out:
        for sha, name in blobs:
            header = out.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise PermanentError(f"git cat-file: no blob {sha} for {name!r}")
            size = int(header[2])
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                _copy(out, handle, size)
            out.read(1)  # the newline after each object
    return sorted(name for _, name in blobs)


def _copy(source: IO[bytes], sink: IO[bytes], size: int, chunk: int = 1 << 20) -> None:
    left = size
    while left > 0:
        data = source.read(min(chunk, left))
        if not data:
            raise PermanentError("git cat-file: output ended early")
        sink.write(data)
        left -= len(data)


def tips(git: Git, target: ScanTarget, head: str | None) -> dict[str, str]:
    """branch → tip for the branches whose history is scanned: `target.branches` (local
    branches first, else `origin/<branch>` as a CI clone has them), else HEAD's branch (a
    detached HEAD, as CI checks out, is scanned as "HEAD"). Missing branches are left out;
    history.py reports them."""
    refs = _refs(git)
    wanted: Sequence[str] = target.branches
    if not wanted:
        current = git.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.decode().strip()
        if not current:
            return {"HEAD": head} if head else {}
        wanted = (current,)
    found: dict[str, str] = {}
    for branch in wanted:
        tip = refs.get(f"refs/heads/{branch}") or refs.get(f"refs/remotes/origin/{branch}")
        if tip:
            found[branch] = tip
    return found


def _refs(git: Git) -> dict[str, str]:
    listed = git.run("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/remotes/origin")
    pairs = (line.split(" ", 1) for line in os.fsdecode(listed.stdout).splitlines() if " " in line)
    return {ref: sha for sha, ref in pairs}
