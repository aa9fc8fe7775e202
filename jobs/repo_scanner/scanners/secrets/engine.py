"""The secrets engine: a keyword prefilter in one pass, then RE2 per rule that passed it.

Why this shape: almost every file mentions none of a rule's keywords (`akia`, `ghp_`,
`private key`, `password`...), so one case-insensitive pass of an RE2 Set over the file picks
the few rules worth running, and each of those is one more linear RE2 pass. No backtracking
regex ever runs on content, so no file can make a scan slow (tests measure it). The engine works
on the file's UTF-8 bytes: offsets are byte offsets, lines are counted in bytes.

A candidate is then dropped when it is a stand-in (entropy below the rule's, placeholders.py,
the allowlists of its rule and the global ones) or when its lines say `gitleaks:allow` or
`secops:allow`. What survives is a Match, the only object that holds a secret (match.py).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jobs.core.errors import ConfigError
from jobs.repo_scanner.scanners.secrets import loading
from jobs.repo_scanner.scanners.secrets.match import Match
from jobs.repo_scanner.scanners.secrets.placeholders import placeholder, shannon_entropy
from jobs.repo_scanner.scanners.secrets.regex import LiteralSet, Span
from jobs.repo_scanner.scanners.secrets.rules import Allowlist, Rule, RuleSet
from jobs.repo_scanner.settings import SecretsScannerSettings

INLINE_ALLOW = (b"gitleaks:allow", b"secops:allow")
_WINDOW = 4096  # bytes of a line either side of a match that inline allows and line allowlists see
_CACHE_SIZE = 32  # engines kept per process: one per rules configuration and repository file
_cache: OrderedDict[tuple[str, ...], Engine] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class _Candidate:
    """A regex match about to be judged; `secret` is raw: it never leaves this module but as a Match."""

    rule: Rule
    secret: str
    line: int
    match: bytes
    lines: bytes  # the whole lines the match spans


class _Lines:
    """Line numbers and line bounds of byte offsets, amortised linear: offsets of one rule come
    in order, so each byte is counted once per rule that matched, whatever the line lengths
    (a minified file is one line of megabytes: a scan back or forward from every candidate to
    its newlines would be quadratic)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0  # everything before it is counted
        self.line = 1  # the line of `offset`
        self.start = 0  # where that line starts
        self.next_newline = -2  # the first newline at or after `offset` (-1: none; -2: not looked)

    def at(self, offset: int) -> int:
        """The 1-based line of `offset`."""
        if offset < self.offset:  # not in order: count again from the start
            self.offset, self.line, self.start, self.next_newline = 0, 1, 0, -2
        newlines = self.data.count(b"\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.start = self.data.rfind(b"\n", self.offset, offset) + 1
        if self.next_newline != -1 and self.next_newline < offset:
            self.next_newline = -2
        self.offset = offset
        return self.line

    def window(self, start: int, end: int) -> bytes:
        """The lines from the one of `start` to the one of `end`, at most `_WINDOW` bytes either
        side of the match (what an inline allow comment or a `line` allowlist is looked for in)."""
        self.at(start)
        if self.next_newline == -2 or (0 <= self.next_newline < end):
            self.next_newline = self.data.find(b"\n", end)
        stop = len(self.data) if self.next_newline < 0 else self.next_newline
        return self.data[max(self.start, start - _WINDOW) : min(stop, end + _WINDOW)]


class Engine:
    """Compiled rules, ready to scan; immutable, shared by every scan of a process."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.problems: tuple[str, ...] = ()  # a repository's rules file that could not be used
        self.rules = tuple(r for r in ruleset.rules if r.regex is not None or r.path is not None)
        known = {r.id for r in self.rules}
        for allowlist in ruleset.allowlists:
            for target in allowlist.target_rules:
                if target not in known:
                    raise ConfigError(f"[[allowlists]] targetRules: no rule {target}")
        self._global = tuple(a for a in ruleset.allowlists if not a.target_rules)
        self._targeted = {r.id: tuple(a for a in ruleset.allowlists if r.id in a.target_rules) for r in self.rules}
        keywords = sorted({k for r in self.rules for k in r.keywords})
        index = {k: i for i, k in enumerate(keywords)}
        self._keywords = LiteralSet(keywords)
        # a secret two rules find is reported once, by the most specific: keys before generic
        # rules, then the file's order (npm-token before npmrc-auth-token)
        self._by_priority = tuple(sorted(self.rules, key=lambda r: r.category != "secret:key"))
        self._priority_keywords = tuple(frozenset(index[k] for k in r.keywords) for r in self._by_priority)

    @property
    def notes(self) -> tuple[str, ...]:
        return self.ruleset.notes

    @classmethod
    def load(cls, cfg: SecretsScannerSettings, root: Path | None = None) -> Engine:
        """The engine for these settings and the repository at `root` (its `.gitleaks.toml`
        adds rules, loading.py); cached per process. ConfigError names the operator's bad file
        and rule. A repository's broken file is not the operator's error: the engine runs our
        rules and says what was wrong in `problems` (the scanner reports it)."""
        key = loading.settings_key(cfg)
        base = _cached(key, lambda: cls(loading.configured(cfg)))
        try:
            text = loading.repository_text(root)
            if text is None:
                return base
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            return _cached((*key, digest), lambda: cls(loading.with_repository(base.ruleset, text)))
        except ConfigError as exc:
            return base.with_problem(str(exc))

    def with_problem(self, problem: str) -> Engine:
        """This engine, saying `problem` (the compiled rules are shared, not copied)."""
        other = copy.copy(self)
        other.problems = (*self.problems, problem)
        return other

    def path_allowed(self, path: str) -> bool:
        """A file every rule skips: a global allowlist of paths only matches it."""
        encoded = path.encode("utf-8", "surrogateescape")
        return any(
            a.paths and not (a.regexes or a.stopwords or a.commits) and a.paths.search(encoded) for a in self._global
        )

    def scan_text(self, path: str, text: str) -> list[Match]:
        """The matches in `text` (the content of `path`, or a patch's added lines), lines
        1-based within `text`."""
        return self.scan_bytes(path, text.encode("utf-8", "replace"))

    def scan_bytes(self, path: str, data: bytes) -> list[Match]:
        """The matches in UTF-8 `data` (invalid sequences become U+FFFD in secrets)."""
        if self.path_allowed(path):
            return []
        encoded_path = path.encode("utf-8", "surrogateescape")
        present = self._keywords.present(data)
        found: dict[tuple[int, str], Match] = {}
        for rule, wanted in zip(self._by_priority, self._priority_keywords, strict=True):
            if wanted and not wanted & present:
                continue
            if rule.path is not None and not rule.path.search(encoded_path):
                continue
            for candidate in self._candidates(rule, path, data):
                key = (candidate.line, candidate.secret)
                if (
                    key not in found
                    and not self._allowed(candidate, encoded_path)
                    and not placeholder(candidate.secret)
                ):
                    found[key] = Match(rule.id, rule.description, rule.category, candidate.line, candidate.secret)
        return sorted(found.values(), key=lambda m: (m.line, m.rule))

    def _candidates(self, rule: Rule, path: str, data: bytes) -> Iterator[_Candidate]:
        if rule.regex is None:  # a path-only rule: the file itself is the finding
            yield _Candidate(rule, path, 1, b"", b"")
            return
        lines = _Lines(data)
        for span in rule.regex.spans(data):
            start, end = _secret_span(rule, span)
            secret = data[start:end].decode("utf-8", "replace")
            if not secret or (rule.entropy and shannon_entropy(secret) < rule.entropy):
                continue
            whole = lines.window(span.start, span.end)
            if INLINE_ALLOW[0] in whole or INLINE_ALLOW[1] in whole:
                continue
            yield _Candidate(rule, secret, lines.at(start), data[span.start : span.end], whole)

    def _allowed(self, candidate: _Candidate, path: bytes) -> bool:
        lists = candidate.rule.allowlists + self._targeted[candidate.rule.id] + self._global
        return any(_allows(a, candidate, path) for a in lists)


def _secret_span(rule: Rule, span: Span) -> tuple[int, int]:
    """gitleaks: `secretGroup`, else the first group that took part, else the whole match."""
    if rule.secret_group:
        return span.groups[rule.secret_group - 1]
    return next((g for g in span.groups if g[0] >= 0 and g[1] > g[0]), (span.start, span.end))


def _allows(allowlist: Allowlist, candidate: _Candidate, path: bytes) -> bool:
    """gitleaks' semantics: with "or" any given criterion allows, with "and" every given one
    must. Commits are history's (a tree scan has none: that criterion never holds here)."""
    target = {
        "secret": candidate.secret.encode("utf-8", "replace"),
        "match": candidate.match,
        "line": candidate.lines,
    }[allowlist.regex_target]
    secret = candidate.secret.lower()
    checks = []
    if allowlist.commits:
        checks.append(False)
    if allowlist.paths:
        checks.append(allowlist.paths.search(path))
    if allowlist.regexes:
        checks.append(allowlist.regexes.search(target))
    if allowlist.stopwords:
        checks.append(any(word in secret for word in allowlist.stopwords))
    return all(checks) if allowlist.condition == "and" else any(checks)


def _cached(key: tuple[str, ...], build: Callable[[], Engine]) -> Engine:
    with _cache_lock:
        engine = _cache.get(key)
        if engine is not None:
            _cache.move_to_end(key)
            return engine
    engine = build()
    with _cache_lock:
        _cache[key] = engine
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return engine
