"""Secret rules in gitleaks' TOML format, parsed and compiled (RE2), each problem naming its file.

The format is gitleaks' (config/config.go of gitleaks v8): `[[rules]]` with id, description,
regex, path, secretGroup, entropy, keywords, tags and `[[rules.allowlists]]` (description,
condition OR/AND, paths, regexes, regexTarget secret/match/line, stopwords, commits); the
global `[[allowlists]]` (with `targetRules`) and the older single `[allowlist]` / per-rule
`[rules.allowlist]`; `[extend]` with `useDefault` or `path` and `disabledRules`. Gitleaks writes
its patterns for Go's regexp, which is RE2's syntax, so its files compile here unchanged.
Ours adds one convention: the tag `secret:key` or `secret:generic` is the hit's category
(severity.py); a rule without either is `secret:generic`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jobs.core.errors import ConfigError
from jobs.repo_scanner.scanners.secrets.regex import AnyOf, Regex, RegexError

CATEGORIES = ("secret:key", "secret:generic")
DEFAULT_CATEGORY = "secret:generic"
_TARGETS = {"": "secret", "secret": "secret", "match": "match", "line": "line"}
_CONDITIONS = {"": "or", "or": "or", "||": "or", "and": "and", "&&": "and"}
_MAX_EXTEND_DEPTH = 2  # gitleaks': a file extending a file extending the default


@dataclass(frozen=True)
class Allowlist:
    """Findings to ignore: by path, by a regex on the secret, the match or the line, by a stop
    word in the secret, by commit. `condition` "or": any criterion given suffices; "and": all."""

    description: str = ""
    condition: str = "or"
    paths: AnyOf = field(default_factory=lambda: AnyOf(()))
    regexes: AnyOf = field(default_factory=lambda: AnyOf(()))
    regex_target: str = "secret"
    stopwords: tuple[str, ...] = ()  # lower case
    commits: tuple[str, ...] = ()
    target_rules: tuple[str, ...] = ()  # a global allowlist that applies to these rules only


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    regex: Regex | None
    path: Regex | None = None
    secret_group: int = 0  # 0: the first group that took part, else the whole match
    entropy: float = 0.0
    keywords: tuple[str, ...] = ()  # lower case; none: the rule runs on every file
    tags: tuple[str, ...] = ()
    allowlists: tuple[Allowlist, ...] = ()
    origin: str = ""  # the file it came from

    @property
    def category(self) -> str:
        return next((tag for tag in self.tags if tag in CATEGORIES), DEFAULT_CATEGORY)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    allowlists: tuple[Allowlist, ...] = ()  # global
    notes: tuple[str, ...] = ()  # what loading ignored, secret-free (reported in stats)
    extend: Mapping[str, Any] = field(default_factory=dict)


def _strings(raw: Any, where: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(raw)


def _compile(pattern: Any, where: str) -> Regex:
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: must be a string")
    try:
        return Regex(pattern)
    except RegexError as exc:
        # never the pattern itself: an allowlist regex is often the very secret, pasted
        raise ConfigError(f"{where}: RE2 refuses the regex ({len(pattern)} characters): {exc}") from None


def parse_allowlist(raw: Any, where: str) -> Allowlist:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    condition = _CONDITIONS.get(str(raw.get("condition", "")).lower())
    target = _TARGETS.get(str(raw.get("regexTarget", "")))
    if condition is None:
        raise ConfigError(f"{where}: condition {raw.get('condition')!r} (expected 'and' or 'or')")
    if target is None:
        raise ConfigError(f"{where}: regexTarget {raw.get('regexTarget')!r} (expected secret, match or line)")
    allowlist = Allowlist(
        description=str(raw.get("description", "")),
        condition=condition,
        paths=AnyOf([_compile(p, f"{where}: paths") for p in _strings(raw.get("paths"), where, "paths")]),
        regexes=AnyOf([_compile(p, f"{where}: regexes") for p in _strings(raw.get("regexes"), where, "regexes")]),
        regex_target=target,
        stopwords=tuple(s.lower() for s in _strings(raw.get("stopwords"), where, "stopwords")),
        commits=_strings(raw.get("commits"), where, "commits"),
        target_rules=_strings(raw.get("targetRules"), where, "targetRules"),
    )
    if not (allowlist.paths or allowlist.regexes or allowlist.stopwords or allowlist.commits):
        raise ConfigError(f"{where}: an allowlist needs paths, regexes, stopwords or commits")
    return allowlist


def _allowlists(raw: Mapping[str, Any], single: str, many: str, where: str) -> tuple[Allowlist, ...]:
    """Both spellings gitleaks reads: the deprecated single table and the array of tables."""
    if single in raw and many in raw:
        raise ConfigError(f"{where}: [{single}] cannot be used alongside [[{many}]]")
    items = [raw[single]] if single in raw else raw.get(many, [])
    if not isinstance(items, list):
        raise ConfigError(f"{where}: {many} must be an array of tables")
    return tuple(parse_allowlist(item, f"{where}: {many}[{i}]") for i, item in enumerate(items))


def parse_rule(raw: Any, index: int, origin: str) -> Rule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: rules[{index}] must be a table")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise ConfigError(f"{origin}: rules[{index}] has no id")
    where = f"{origin}: rule {rule_id}"
    if not raw.get("regex") and not raw.get("path"):
        raise ConfigError(f"{where}: needs a regex or a path")
    regex = _compile(raw["regex"], f"{where}: regex") if raw.get("regex") else None
    group = raw.get("secretGroup", 0)
    if not isinstance(group, int) or group < 0 or (regex is not None and group > regex.groups):
        raise ConfigError(f"{where}: secretGroup {group!r} is not a group of the regex")
    entropy = raw.get("entropy", 0.0)
    if not isinstance(entropy, int | float) or entropy < 0:
        raise ConfigError(f"{where}: entropy must be a number >= 0")
    return Rule(
        id=rule_id,
        description=str(raw.get("description", rule_id)),
        regex=regex,
        path=_compile(raw["path"], f"{where}: path") if raw.get("path") else None,
        secret_group=group,
        entropy=float(entropy),
        keywords=tuple(k.lower() for k in _strings(raw.get("keywords"), where, "keywords")),
        tags=_strings(raw.get("tags"), where, "tags"),
        allowlists=_allowlists(raw, "allowlist", "allowlists", where),
        origin=origin,
    )


def parse_text(text: str, origin: str) -> RuleSet:
    """One TOML document; `origin` names it in every error."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        raise ConfigError(f"{origin}: rules must be an array of tables ([[rules]])")
    rules = tuple(parse_rule(item, i, origin) for i, item in enumerate(rules_raw))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"{origin}: rule {rule.id} is defined twice")
        seen.add(rule.id)
    extend = raw.get("extend", {})
    if not isinstance(extend, dict):
        raise ConfigError(f"{origin}: [extend] must be a table")
    return RuleSet(rules, _allowlists(raw, "allowlist", "allowlists", origin), extend=extend)


def parse_file(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the rules: {exc.__class__.__name__}: {exc}") from None
    return parse_text(text, str(path))


def merge(base: RuleSet, over: RuleSet, disabled: tuple[str, ...] = ()) -> RuleSet:
    """gitleaks' extend: `over`'s rules win field by field over `base`'s of the same id (tags,
    keywords and allowlists are appended), new ones are added, `disabled` ids of base dropped;
    global allowlists are appended."""
    known = {rule.id for rule in base.rules}
    rules = {rule.id: rule for rule in base.rules if rule.id not in disabled}
    for rule in over.rules:
        old = rules.get(rule.id)
        rules[rule.id] = rule if old is None else _merged(old, rule)
    notes = base.notes + over.notes + tuple(f"disabledRules: no rule {d}" for d in disabled if d not in known)
    return RuleSet(tuple(rules.values()), base.allowlists + over.allowlists, notes)


def _merged(old: Rule, new: Rule) -> Rule:
    return replace(
        old,
        description=new.description if new.description != new.id else old.description,
        regex=new.regex or old.regex,
        path=new.path or old.path,
        secret_group=new.secret_group or old.secret_group,
        entropy=new.entropy or old.entropy,
        keywords=old.keywords + new.keywords,
        tags=old.tags + new.tags,
        allowlists=old.allowlists + new.allowlists,
        origin=f"{old.origin} + {new.origin}",
    )
