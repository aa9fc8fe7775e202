"""Which rules a scan uses: ours, the operator's, and what a repository's own file may add.

- Default: ours, `jobs/repo_scanner/rules/secret-rules.toml` (package data; `config/` links it).
- `scanners.secrets.rules: FILE` replaces ours, as `gitleaks --config` would; its
  `[extend] useDefault = true` builds on ours instead (gitleaks' default config is ours here),
  `[extend] path = OTHER` on another file (relative to FILE), `disabledRules` drops some.
- `scanners.secrets.extra_rules: [FILE...]` are merged on top (gitleaks' extend semantics).
- A repository's own `.gitleaks.toml` (at its root) can only ADD rules. Its author is not the
  operator: a leaked key must not go quiet because the commit that leaked it also added an
  allowlist. So its `[extend]` is ignored, a rule whose id is already ours is dropped (a note
  says so), and its allowlists apply to its own rules only. Suppressing a finding of ours is
  what `.secops-ignore.yaml` is for: per fingerprint, with an owner and an expiry.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from jobs.core.errors import ConfigError
from jobs.repo_scanner.scanners.secrets.rules import RuleSet, merge, parse_file, parse_text
from jobs.repo_scanner.settings import SecretsScannerSettings

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "secret-rules.toml"
REPOSITORY_FILE = ".gitleaks.toml"
_MAX_DEPTH = 2  # gitleaks': a file extending a file extending the default


def shipped() -> RuleSet:
    return parse_file(SHIPPED)


def _resolved(path: Path, depth: int = 0) -> RuleSet:
    """A file with its [extend] applied, as gitleaks does (at most two levels)."""
    own = parse_file(path)
    extend = own.extend
    disabled = tuple(str(d) for d in extend.get("disabledRules", ()) or ())
    if extend.get("useDefault") and extend.get("path"):
        raise ConfigError(f"{path}: [extend] useDefault and path cannot both be set")
    if depth >= _MAX_DEPTH or not (extend.get("useDefault") or extend.get("path")):
        return own
    if extend.get("useDefault"):
        base = shipped()
    else:
        base = _resolved((path.parent / str(extend["path"])).resolve(), depth + 1)
    return merge(base, own, disabled)


def configured(cfg: SecretsScannerSettings) -> RuleSet:
    """The operator's rules (settings); every error names its file and rule."""
    rules = _resolved(Path(cfg.rules)) if cfg.rules else shipped()
    for extra in cfg.extra_rules:
        rules = merge(rules, _resolved(Path(extra)))
    if not rules.rules:
        raise ConfigError(f"scanners.secrets: {cfg.rules or SHIPPED}: no rules")
    return rules


def settings_key(cfg: SecretsScannerSettings) -> tuple[str, ...]:
    """What the configured rules depend on: the files named and their contents (a rules file
    edited between two runs of a long-lived scheduler is read again)."""
    paths = [SHIPPED, *(Path(p) for p in ([cfg.rules] if cfg.rules else []) + list(cfg.extra_rules))]
    return tuple(f"{p}:{_digest(p)}" for p in paths)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"  # parse_file names the problem


def repository_text(root: Path | None) -> str | None:
    if root is None:
        return None
    candidate = root / REPOSITORY_FILE
    if not candidate.is_file() or candidate.is_symlink():
        return None
    try:
        return candidate.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{REPOSITORY_FILE}: cannot read: {exc.__class__.__name__}") from None


def with_repository(base: RuleSet, text: str) -> RuleSet:
    """`base` plus the new rules of a repository's `.gitleaks.toml`; never fewer findings."""
    own = parse_text(text, REPOSITORY_FILE)
    ours = {rule.id for rule in base.rules}
    notes = [f"{REPOSITORY_FILE}: rule {r.id} ignored: the id is ours" for r in own.rules if r.id in ours]
    if own.extend:
        notes.append(f"{REPOSITORY_FILE}: [extend] ignored: a repository can add rules, not change ours")
    added = []
    for rule in own.rules:
        if rule.id in ours:
            continue
        local = tuple(a for a in own.allowlists if not a.target_rules or rule.id in a.target_rules)
        # a repository's rule is heuristic to us: it may find, never page (secret:key is critical,
        # and anyone who can push would otherwise choose what wakes on-call)
        tags = tuple(t for t in rule.tags if t != "secret:key")
        if tags != rule.tags:
            notes.append(f"{REPOSITORY_FILE}: rule {rule.id}: secret:key ignored: a repository's rules are generic")
        allowlists = rule.allowlists + tuple(replace(a, target_rules=()) for a in local)
        added.append(replace(rule, tags=tags, allowlists=allowlists))
    return RuleSet(base.rules + tuple(added), base.allowlists, base.notes + tuple(notes))
