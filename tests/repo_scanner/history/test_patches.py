"""The added-line → file-line mapping, held against git itself for random histories: every
added line read from `git log -p` is the file's line at that number in that commit, and the
line numbers are exactly those `git blame` gives that commit."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.repo_scanner.history import LOG
from jobs.repo_scanner.patches import parse, unquote
from jobs.repo_scanner.targets.git import Git
from tests.repo_scanner.gitrepos import commit, git, git_env, init

#: lines that look like patch structure once git prefixes them (`++ b/x` added is `+++ b/x`,
#: `-- a/x` removed is `--- a/x`), so a parser that guesses from a line's start fails
TRICKY = [
    "++ b/x",
    "-- a/x",
    "+++ b/x",
    "@@ -1 +1 @@",
    "diff --git a/x b/x",
    "\x1eabc",
    "\\ No newline",
    "Binary files x",
]
line_text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_characters="\n\r\x00", blacklist_categories=("Cs",)), max_size=30),
    st.just(""),
)
file_lines = st.lists(line_text, max_size=8)
names = st.one_of(
    st.sampled_from(["a.txt", "dir/b.py", "with space.env", 'quote".txt', "back\\slash", "tab\there", "new\nline"]),
    st.binary(min_size=1, max_size=6).filter(lambda b: b"\x00" not in b and b"/" not in b and b not in (b".", b"..")),
)
#: an edit of a file: delete it (None), or at a position (a fraction of its length) remove some
#: lines and insert others, with or without a final newline
edit = st.one_of(st.none(), st.tuples(st.floats(0, 1), st.integers(0, 3), file_lines, st.booleans()))
revision = st.dictionaries(names, edit, max_size=4)


def edited(lines: list[str], change: tuple[float, int, list[str], bool]) -> list[str]:
    at, removed, inserted, _ = change
    cut = int(at * len(lines))
    return lines[:cut] + inserted + lines[cut + removed :]


def content(lines: list[str], final_newline: bool) -> bytes:
    text = "\n".join(lines)
    return (text + "\n" if final_newline and lines else text).encode("utf-8", "surrogatepass")


def blamed(repo: Path, sha: str, path: str) -> set[int]:
    """The lines of `path` at `sha` that git blame attributes to `sha` itself."""
    out = subprocess.run(
        ["git", "blame", "--porcelain", sha, "--", path],
        cwd=repo,
        env=git_env(),
        capture_output=True,
        check=True,
    ).stdout
    lines: set[int] = set()
    for row in out.split(b"\n"):
        fields = row.split(b" ")
        if len(fields) >= 3 and len(fields[0]) == 40 and fields[0].decode() == sha:
            lines.add(int(fields[2]))
    return lines


@pytest.mark.timeout(900)  # each example is a real repository: git add, commit, show, blame per file
@settings(max_examples=8, deadline=None)
@given(st.lists(revision, min_size=1, max_size=4))
def test_added_lines_are_the_files_lines_at_that_commit(revisions: list[dict[bytes | str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = init(Path(tmp) / "r")
        present: dict[str, list[str]] = {}
        shas: list[str] = []
        for rev in revisions:
            files: dict[str | bytes, bytes | None] = {}
            for name, change in rev.items():
                key = os.fsdecode(name) if isinstance(name, bytes) else name
                if change is None:
                    if present.pop(key, None) is not None:
                        files[key] = None
                    continue
                present[key] = edited(present.get(key, []), change)  # type: ignore[arg-type]
                files[key] = content(present[key], change[3])  # type: ignore[index]
            shas.append(commit(repo, files))
        with Git(30, git_dir=repo / ".git", cwd=repo / ".git").stream(*LOG, input="\n".join(shas).encode()) as out:
            patches = {p.commit: p for p in parse(out)}
        for sha in shas:
            for added in patches[sha].files:
                shown = subprocess.run(
                    ["git", "show", f"{sha}:{added.path}"],
                    cwd=repo,
                    env=git_env(),
                    capture_output=True,
                    check=True,
                ).stdout.split(b"\n")
                for number, text in added.lines:
                    expected = shown[number - 1].removesuffix(b"\r").decode("utf-8", "replace")
                    assert text == expected, (sha, added.path, number)
                assert {n for n, _ in added.lines} == blamed(repo, sha, added.path)
            changed = subprocess.run(
                ["git", "diff-tree", "--root", "--no-commit-id", "-r", "-z", "--name-only", sha],
                cwd=repo,
                env=git_env(),
                capture_output=True,
                check=True,
            ).stdout.split(b"\0")
            assert {p.path for p in patches[sha].files} <= {os.fsdecode(c) for c in changed if c}


@settings(max_examples=15)
@given(st.lists(st.binary(min_size=1, max_size=12), min_size=1, max_size=8, unique=True))
def test_c_quoting_is_undone_byte_for_byte(raws: list[bytes]) -> None:
    """git's quoting of paths (as `git ls-files` prints them, with core.quotePath=false)."""
    names = {r.replace(b"\x00", b"").replace(b"/", b"_") for r in raws} - {b"", b".", b"..", b".git"}
    with tempfile.TemporaryDirectory() as tmp:
        repo = init(Path(tmp) / "r")
        for name in names:
            (repo / os.fsdecode(name)).write_bytes(b"x\n")
        git(repo, "add", "-A")
        listed = subprocess.run(
            ["git", "-c", "core.quotePath=false", "ls-files"],
            cwd=repo,
            env=git_env(),
            capture_output=True,
            check=True,
        ).stdout.split(b"\n")
        assert {unquote(q) for q in listed if q} == names
