"""The secrets bench's corpus: text nobody here wrote, with secrets planted where they are known.

The text files of an installed site-packages (the project's venv by default) are copied into a
work directory, in a seeded pseudo-random order across packages, up to a size cap. Then config
files of every syntax are planted into its folders, each holding a few secrets, some decoys and
ordinary settings, a few single lines go into existing Python modules, and lockfiles and public
keys go in as decoy files. Every secret and decoy is recorded with its file and lines: the
ground truth. The same seed and source give the same corpus every run.

Secrets are planted outside folders named like tests, fixtures, test vectors, examples or docs:
the issue asks scanners to allowlist test fixtures, so a "live" secret there would be ambiguous
ground truth; nor into package metadata (`*.dist-info`), which no repository has. Decoys go
anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from secret_syntax import SYNTAXES, assignment, block, filler
from secret_values import B64, DECOYS, KEYS, SECRETS, pick, sha

MAX_FILE_BYTES = 4_000_000  # below our scanner's default max_file_bytes: every tool sees the same files
#: package metadata (`*.dist-info`) is no place a repository has; gitleaks skips it by path, too
NOT_FOR_PLANTS = ("test", "fixture", "vector", "example", "sample", "doc", "demo", ".dist-info", ".egg-info")
#: syntaxes each kind of value is written in (multi-line keys: those with a block form, and JSON)
ONE_LINE = (
    "json",
    "yaml",
    "ini",
    "env",
    "python",
    "js",
    "shell",
    "terraform",
    "dockerfile",
    "xml",
    "xml-element",
    "properties",
    "toml",
)
MULTI_LINE = ("pem", "pem", "yaml", "env", "python", "js", "shell", "terraform", "toml", "json", "xml-element")


@dataclass(frozen=True)
class Plant:
    kind: str  # a SECRETS or DECOYS key
    path: str  # corpus-relative, POSIX
    first: int  # 1-based line of the value
    last: int  # its last line (multi-line keys)
    syntax: str


@dataclass
class Corpus:
    root: Path
    files: int = 0
    size: int = 0  # bytes, after planting
    secrets: list[Plant] = field(default_factory=list)
    decoys: list[Plant] = field(default_factory=list)


def is_text(path: Path) -> bytes | None:
    """The file's bytes when it reads as UTF-8 text (no NUL) and is neither empty nor too big."""
    if path.is_symlink() or not path.is_file() or path.suffix in (".pyc", ".so", ".whl"):
        return None
    if not 0 < path.stat().st_size <= MAX_FILE_BYTES:
        return None
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def copy_text(source: Path, root: Path, cap: int) -> Corpus:
    """Up to `cap` bytes of text files, taken in the order of their paths' hashes: a spread over
    every package rather than the alphabetically first ones."""
    order = sorted(source.rglob("*"), key=lambda p: hashlib.sha256(p.relative_to(source).as_posix().encode()).digest())
    corpus = Corpus(root)
    for path in order:
        if corpus.size >= cap - 1000:
            break
        data = is_text(path)
        if data is None or corpus.size + len(data) > cap:
            continue
        target = root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        corpus.files += 1
        corpus.size += len(data)
    return corpus


class Planter:
    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus, self.rng = corpus, rng
        dirs = sorted({p.parent for p in corpus.root.rglob("*") if p.is_file()})
        self.dirs = dirs
        self.clean_dirs = [
            d for d in dirs if not any(w in str(d.relative_to(corpus.root)).lower() for w in NOT_FOR_PLANTS)
        ]

    def new_file(self, syntax: str, for_secrets: bool) -> Path:
        names = SYNTAXES[syntax].files
        while True:
            folder = self.rng.choice(self.clean_dirs if for_secrets else self.dirs)
            path = folder / self.rng.choice(names)
            if not path.exists():
                return path

    def new_file_named(self, name: str) -> Path:
        while True:
            path = self.rng.choice(self.dirs) / name
            if not path.exists():
                return path

    def write(self, path: Path, lines: list[str], found: list[tuple[str, int, int, bool]], syntax: str) -> None:
        """`found`: (kind, first, last, is_secret) with 0-based lines into `lines`."""
        text = "\n".join(lines) + "\n"
        path.write_text(text)
        self.corpus.files += 1
        self.corpus.size += len(text.encode())
        rel = path.relative_to(self.corpus.root).as_posix()
        for kind, first, last, secret in found:
            (self.corpus.secrets if secret else self.corpus.decoys).append(
                Plant(kind, rel, first + 1, last + 1, syntax)
            )

    def config_file(self, syntax: str, secrets: list[str], decoys: int) -> None:
        """A file of `syntax`: head, then the secrets, decoys and settings shuffled, then tail."""
        spec = SYNTAXES[syntax]
        entries: list[tuple[str, bool] | None] = [(k, True) for k in secrets]
        entries += [(self.rng.choice(sorted(DECOYS)), False) for _ in range(decoys)]
        entries += [None] * self.rng.randint(2, 8)
        self.rng.shuffle(entries)
        lines, found = list(spec.head), []
        for entry in entries:
            if entry is None:
                lines.append(filler(syntax, self.rng))
                continue
            kind, secret = entry
            make, names = (SECRETS if secret else DECOYS)[kind]
            if kind == "aws-secret-access-key" and self.rng.random() < 0.5:  # the pair, as credentials files hold it
                make_id, id_names = SECRETS["aws-access-key-id"]
                line, _, _ = assignment(syntax, self.rng.choice(id_names), make_id(self.rng))
                found.append(("aws-access-key-id", len(lines), len(lines), True))
                lines.extend(line)
            value = make(self.rng)
            render = block if "\n" in value else assignment
            rendered, first, last = render(syntax, self.rng.choice(names), value)
            found.append((kind, len(lines) + first, len(lines) + last, secret))
            lines.extend(rendered)
        self.write(self.new_file(syntax, True), [*lines, *spec.tail], found, syntax)

    def key_file(self, kind: str) -> None:
        value = SECRETS[kind][0](self.rng).split("\n")
        self.write(self.new_file("pem", True), value, [(kind, 0, len(value) - 1, True)], "pem")

    def into_module(self, kind: str) -> None:
        """One `NAME = "value"` line into an existing module, where real code leaks them."""
        modules = [p for d in self.clean_dirs for p in sorted(d.glob("*.py"))]
        while True:
            path = self.rng.choice(modules)
            rel = path.relative_to(self.corpus.root).as_posix()
            if not any(p.path == rel for p in self.corpus.secrets):
                break
        lines = path.read_text().split("\n")
        at = self.rng.randint(0, max(0, len(lines) - 1))
        make, names = SECRETS[kind]
        line, _, _ = assignment("python", self.rng.choice(names), make(self.rng))
        lines[at:at] = line
        path.write_text("\n".join(lines))
        self.corpus.size += len(line[0].encode()) + 1
        self.corpus.secrets.append(Plant(kind, rel, at + 1, at + 1, "python-module"))


def lockfiles(planter: Planter, count: int) -> None:
    """Integrity hashes and public material: what lockfiles and key folders hold, never secret."""
    rng = planter.rng
    for _ in range(count):
        names = [f"pkg-{pick(rng, 'abcdefghij', 6)}" for _ in range(rng.randint(3, 8))]
        npm = ["{", '  "lockfileVersion": 3,', '  "packages": {']
        hashes: list[tuple[str, int, int, bool]] = []
        for name in names:
            integrity = "sha512-" + base64.b64encode(rng.randbytes(64)).decode()
            npm += [f'    "node_modules/{name}": {{', f'      "version": "1.{rng.randint(0, 20)}.0",']
            hashes.append(("lockfile-hash", len(npm), len(npm), False))
            npm += [f'      "integrity": "{integrity}"', "    },"]
        planter.write(planter.new_file_named("package-lock.json"), [*npm, "  }", "}"], hashes, "json")
        req, hashes = [], []
        for name in names:
            hashes.append(("lockfile-hash", len(req) + 1, len(req) + 1, False))
            req += [f"{name}==1.{rng.randint(0, 9)}.{rng.randint(0, 9)} \\", f"    --hash=sha256:{sha(64)(rng)}"]
        planter.write(planter.new_file_named("requirements.txt"), req, hashes, "requirements")


def public_keys(planter: Planter, count: int) -> None:
    rng = planter.rng
    for _ in range(count):
        body = base64.b64encode(rng.randbytes(270)).decode()
        pub = [
            "-----BEGIN PUBLIC KEY-----",
            *(body[i : i + 64] for i in range(0, len(body), 64)),
            "-----END PUBLIC KEY-----",
        ]
        planter.write(planter.new_file_named("public.pem"), pub, [("public-key", 0, len(pub) - 1, False)], "pem")
        ssh = f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{pick(rng, B64, 340)} deploy@ci"
        planter.write(planter.new_file_named("id_rsa.pub"), [ssh], [("public-key", 0, 0, False)], "ssh")


def build(source: Path, root: Path, cap: int, per_kind: int, seed: int) -> Corpus:
    """The corpus under `root`: `cap` bytes of `source`'s text, `per_kind` secrets of every kind."""
    if root.exists():
        shutil.rmtree(root)
    corpus = copy_text(source, root, cap)
    rng = random.Random(seed)
    planter = Planter(corpus, rng)
    pending: list[tuple[str, str]] = []  # (kind, syntax)
    for kind in sorted(SECRETS):
        for _ in range(per_kind):
            if kind not in KEYS and rng.random() < 0.15:
                planter.into_module(kind)
                continue
            syntax = rng.choice(MULTI_LINE if kind in KEYS else ONE_LINE)
            if syntax == "pem":
                planter.key_file(kind)
            else:
                pending.append((kind, syntax))
    rng.shuffle(pending)
    by_syntax: dict[str, list[str]] = {}
    for kind, syntax in pending:
        by_syntax.setdefault(syntax, []).append(kind)
    for syntax in sorted(by_syntax):
        kinds = by_syntax[syntax]
        while kinds:
            take = rng.randint(1, 4)
            planter.config_file(syntax, kinds[:take], rng.randint(0, 3))
            kinds = kinds[take:]
    extra = max(1, per_kind // 4)
    lockfiles(planter, extra)
    public_keys(planter, extra)
    for _ in range(extra * 4):  # decoy-only files, so quiet files exist besides mixed ones
        planter.config_file(rng.choice(ONE_LINE), [], rng.randint(2, 5))
    return corpus
