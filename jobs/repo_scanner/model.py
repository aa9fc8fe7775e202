"""What the repo scanner reads and decides on: targets, checkouts, hits, one scan per repository.

A `Hit` is secret-free by construction: the secret engine turns a match into its fingerprint
and a masked form before a Hit exists, so nothing downstream (plan, results, SARIF, state,
alerts) can leak what it never held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jobs.core.model import RunError


@dataclass(frozen=True)
class ScanTarget:
    """A repository to scan: configured, given on the command line, found in GitLab or pushed."""

    name: str  # the `repo:<name>:` of findings; bounded by configuration (a metrics label)
    path: str | None = None  # a checkout or a bare repository here
    url: str | None = None  # a remote, cloned or fetched into the cache
    branches: tuple[str, ...] = ()  # history is scanned on these; () = HEAD's branch
    source: str = "config"  # config | cli | gitlab | push
    since: str | None = None  # scan only the commits after this revision (--since, a push's `before`)
    until: str | None = None  # ... up to this one (a push's `after`); None: the branch tips
    #: secret-free key into the client table for credentials (GitLab's token), never the token
    auth: str | None = None


@dataclass(frozen=True)
class Checkout:
    """A target made readable: `root` holds the files of `head` (a working tree as it is, or an
    export of a bare repository's HEAD); `git_dir` the repository its history is read from."""

    target: ScanTarget
    root: Path
    files: Sequence[str]  # relative POSIX paths to scan: tracked and untracked, not ignored, no symlinks
    head: str | None  # the commit `root` shows (None: not a git repository, or an empty one)
    git_dir: Path | None
    #: branch → its tip, for the branches whose history is scanned
    tips: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One thing a scanner found, without the secret: fingerprinted and masked already."""

    type: str  # secret | sast | vulnerability | license (CONTRACT)
    scanner: str  # secrets | sast | dependencies | licenses | gitleaks
    rule: str  # a rule id, an advisory id, a license class
    path: str  # repository-relative, POSIX
    line: int  # 1-based; 0 = the whole file (a lockfile, a license)
    message: str
    fingerprint: str  # keyed HMAC (fingerprint.py): a secret's over rule + path + the secret itself
    #: key into severity.py's table, e.g. "secret:key", "secret:generic", "sast:ERROR",
    #: "vulnerability", "license:denied", "license:unknown", "database:stale"
    category: str
    redacted: str = ""  # a masked form, e.g. "AKIA…(20 chars)"; never the secret
    commit: str | None = None  # set when found in history
    author: str | None = None
    date: str | None = None  # ISO 8601, the commit's author date
    #: path-independent identity of a secret (keyed HMAC over rule + secret): is it still in the
    #: tree elsewhere? (severity.py). Not reported.
    secret_id: str | None = None
    cvss: float | None = None  # a vulnerability's base score
    #: scanner-specific, secret-free details: advisory aliases and fixed versions, package and
    #: version, license expression, semgrep's CWE; copied into the finding's details
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def in_history(self) -> bool:
        return self.commit is not None


def printable(text: str) -> str:
    """A path as every output (JSON, SQL, SARIF, mail) can hold it: the undecodable bytes of a
    non-UTF-8 file name, surrogates after `os.fsdecode`, written as `\\xe9`. Files are opened
    by their real names; hits are reported (and fingerprinted before this) by this one."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def reportable(hit: Hit) -> Hit:
    """`hit` with a printable path (the same hit when it already was)."""
    shown = printable(hit.path)
    return hit if shown == hit.path else replace(hit, path=shown)


@dataclass
class ScanReport:
    """What one scanner made of one checkout. `ran` False: it did not look (no database, tool
    missing), which must never read as "nothing found"; `errors` say why."""

    hits: list[Hit] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    ran: bool = True
    stats: dict[str, Any] = field(default_factory=dict)
    #: dependencies found (for the SBOM): package records, secret-free
    components: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Suppression:
    """A `.secops-ignore.yaml` entry: a fingerprint an owner accepted, until `expires`."""

    fingerprint: str
    reason: str
    owner: str
    expires: str | None  # ISO date; past it, the finding is reported again
    source: str  # the file it came from


@dataclass(frozen=True)
class BranchProgress:
    """A branch whose new commits were scanned: its watermark moves to `tip` once the run's
    history hits are stored (an action, so a dry run never moves it)."""

    branch: str
    tip: str
    previous: str | None
    rewritten: bool = False  # the old watermark is no longer an ancestor: history was rewritten


@dataclass
class RepoScan:
    """The item `collect` yields per repository: everything `plan` needs, nothing secret."""

    target: ScanTarget
    head: str | None = None
    hits: list[Hit] = field(default_factory=list)  # tree and new history hits
    stored: list[Hit] = field(default_factory=list)  # history hits of earlier runs, still reachable
    errors: list[RunError] = field(default_factory=list)
    #: scanner → "ran" or why it did not ("disabled", "no osv_db configured", "failed: ...")
    scanners: dict[str, str] = field(default_factory=dict)
    suppressions: list[Suppression] = field(default_factory=list)
    progress: list[BranchProgress] = field(default_factory=list)
    components: list[Mapping[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
