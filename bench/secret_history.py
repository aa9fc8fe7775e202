"""The history bench's repository: 1,000 commits of small edits, with secrets added and removed.

Written with `git fast-import` (one process, well under a second, instead of a thousand
`git commit`s). The first commit holds a slice of the corpus' untouched text and three config
files; each later commit appends a line or two to a few files; every 25th or so adds a secret
to a config file or a module, and most of those are replaced a few commits later by the usual
fix (the value read from the environment), so they live only in history. Lines are only ever
appended or replaced in place, so a planted secret keeps its path and line from the commit that
added it to the tree (when it stays): the ground truth is (path, line).
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from secret_corpus import Plant, is_text
from secret_syntax import assignment
from secret_values import KEYS, SECRETS

CONFIGS = {"config/app.env": "env", "config/settings.yaml": "yaml", "src/settings.py": "python"}
WORDS = [
    "fix",
    "retry",
    "timeout",
    "cache",
    "config",
    "logging",
    "parser",
    "docs",
    "refactor",
    "bump",
    "handle",
    "edge",
    "case",
    "tests",
]
FIX = {"env": "{name}=${{{name}}}", "yaml": "{name}: ${{{name}}}", "python": '{name} = os.environ["{name}"]'}


@dataclass
class History:
    repo: Path
    commits: int
    size: int  # bytes of the first commit's tree
    secrets: list[Plant] = field(default_factory=list)
    removed: int = 0


def base_files(corpus: Path, rng: random.Random, cap: int) -> dict[str, list[str]]:
    """`cap` bytes of the corpus' Python modules, small ones, none of the planted ones."""
    files: dict[str, list[str]] = {}
    size = 0
    candidates = sorted(p for p in corpus.rglob("*.py") if p.stat().st_size < 20_000)
    rng.shuffle(candidates)
    for path in candidates:
        data = is_text(path)
        if data is None or size + len(data) > cap:
            continue
        files[f"vendor/{path.relative_to(corpus).as_posix()}"] = data.decode().split("\n")
        size += len(data)
    return files


def data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def build(corpus: Path, repo: Path, commits: int, seed: int, excluded: set[str], cap: int = 1_000_000) -> History:
    """The repository at `repo`, its working tree checked out at the last commit."""
    rng = random.Random(seed)
    files = base_files(corpus, rng, cap)
    files = {p: lines for p, lines in files.items() if p.removeprefix("vendor/") not in excluded}
    history = History(repo, commits, sum(len("\n".join(v)) for v in files.values()))
    for path, syntax in CONFIGS.items():
        files[path] = ["# settings"] if syntax != "python" else ["import os", ""]
    kinds = sorted(k for k in SECRETS if k not in KEYS)
    live: list[tuple[int, str, int, str, str]] = []  # (remove at, path, line index, syntax, name)
    stream = bytearray()
    for n in range(commits):
        touched: dict[str, list[str]] = dict(files) if n == 0 else {}
        for path in rng.sample(sorted(files), rng.randint(1, 3)) if n else ():
            files[path].append(f"# {rng.choice(WORDS)} {rng.choice(WORDS)} ({n})")
            touched[path] = files[path]
        if n and n % 25 == 0:
            path, syntax = rng.choice(sorted(CONFIGS.items()))
            kind = rng.choice(kinds)
            make, names = SECRETS[kind]
            name = rng.choice(names)
            files[path].extend(assignment(syntax, name, make(rng))[0])
            history.secrets.append(Plant(kind, path, len(files[path]), len(files[path]), syntax))
            touched[path] = files[path]
            if rng.random() < 0.6:
                live.append((n + rng.randint(1, 30), path, len(files[path]) - 1, syntax, name))
        for due in [item for item in live if item[0] == n]:
            _, path, index, syntax, name = due
            case = {"env": str.upper, "yaml": lambda w: w.replace(" ", "_"), "python": str.upper}[syntax]
            files[path][index] = FIX[syntax].format(name=case(name).replace(" ", "_"))
            touched[path] = files[path]
            history.removed += 1
            live.remove(due)
        when = 1_700_000_000 + n * 3600
        author = rng.choice(["Dana Ruiz <dana@example.org>", "Kim Osei <kim@example.org>", "ci-bot <ci@example.org>"])
        stream += b"commit refs/heads/main\n"
        stream += f"author {author} {when} +0000\ncommitter {author} {when} +0000\n".encode()
        stream += data(f"{rng.choice(WORDS)}: {rng.choice(WORDS)} {rng.choice(WORDS)} ({n})")
        for path in sorted(touched):
            stream += f"M 100644 inline {path}\n".encode() + data("\n".join(touched[path]))
    git = ["git", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, timeout=60)
    subprocess.run([*git, "fast-import", "--quiet"], input=bytes(stream), check=True, timeout=300)
    subprocess.run([*git, "reset", "-q", "--hard", "main"], check=True, timeout=300)
    return history
