"""Tags as the rules read them: one place turns what a provider wrote into keys and values.

A key may be spelt many ways (`environment`, `Environment`, `" ENVIRONMENT"`, `data_class`,
a full-width or zero-width-padded copy) and on Kubernetes a key may be both a label and an
annotation. Every spelling is kept: the rules read a protective value from any of them
(ARCHITECTURE rule 12), and spellings that disagree are reported, never silently resolved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: the keys the rules read; a spelling of one that only differs by separators is the same key
RULE_KEYS: Final = (
    "environment",
    "owner",
    "project",
    "cost-center",
    "created_at",
    "auto-teardown",
    "data-class",
    "ttl",
)
_SEPARATORS = re.compile(r"[\s_.\-]+")
_CANONICAL: Final = {_SEPARATORS.sub("", key): key for key in RULE_KEYS}
Spelling = tuple[str, str]  # (where and how the key was written, its value)
_NONE: Final[Mapping[str, tuple[Spelling, ...]]] = MappingProxyType({})


class Tags(dict[str, str]):
    """Normal key → the first spelling's value (trimmed). `spellings` lists every spelling of
    the keys written more than once, so no reading of a key may rest on the first alone."""

    spellings: Mapping[str, tuple[Spelling, ...]] = _NONE

    def values_of(self, key: str) -> tuple[str, ...]:
        """Every value any spelling of `key` has (a normal key, as in RULE_KEYS)."""
        group = self.spellings.get(key)
        if group:
            return tuple(value for _, value in group)
        value = self.get(key)
        return () if value is None else (value,)


def normal_key(key: str) -> str:
    """`key` as compared: compatibility-folded (full-width letters), invisible format characters
    dropped, trimmed, case-folded; a rule key also without separators (`Data_Class`)."""
    text = key if key.isascii() else unicodedata.normalize("NFKC", key)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.strip().casefold()
    return _CANONICAL.get(_SEPARATORS.sub("", text), text)


def fold(value: str) -> str:
    """A value compared protectively: full-width `PROD` and `Prod` are `prod` (never used to allow a deletion)."""
    return value.casefold() if value.isascii() else unicodedata.normalize("NFKC", value).casefold().strip()


def normalise(tags: Mapping[str, object], shadowed: Mapping[str, object] | None = None) -> Tags:
    """One pass in the common case (every key spelt once); a second only when a key repeats."""
    out = Tags()
    spelt, repeated = _KEYS, False
    for key, value in tags.items():
        normal = spelt.get(key)
        if normal is None:
            if len(spelt) > _KEYS_MAX:  # bounded in a long-lived scheduler process
                spelt.clear()
            normal = spelt[key] = normal_key(key)
        if normal in out:
            repeated = True
        else:
            out[normal] = value.strip() if type(value) is str else _text(value)
    if shadowed:  # an annotation hidden by a label: a second spelling of that key by definition
        repeated = True
        for key, value in shadowed.items():
            out.setdefault(normal_key(key), _text(value))
    if repeated:
        out.spellings = _spellings(tags, shadowed)
    return out


def _text(value: object) -> str:
    """A tag without a value (botocore models make `Value` optional) is an empty one."""
    return "" if value is None else str(value).strip()


def _spellings(tags: Mapping[str, object], shadowed: Mapping[str, object] | None) -> dict[str, tuple[Spelling, ...]]:
    groups: dict[str, list[Spelling]] = {}
    for source, label in ((tags, "{!r}"), (shadowed or _NONE, "annotation {!r}")):
        for key, value in source.items():
            groups.setdefault(_KEYS.get(key) or normal_key(key), []).append((label.format(key), _text(value)))
    return {key: tuple(group) for key, group in groups.items() if len(group) > 1}


def _meaning(key: str, value: str) -> str:
    """What a value says for the rules: case aside; a ttl's `+14d` extensions are display only."""
    lowered = value.lower()
    return lowered.split("+", 1)[0].strip() if key == "ttl" else lowered


def conflicts(tags: Tags) -> list[str]:
    """A rule key whose spellings disagree, each spelling named: a tag violation."""
    if not tags.spellings:
        return []
    found = []
    for key, group in tags.spellings.items():
        if key in _RULES and len({_meaning(key, value) for _, value in group}) > 1:
            written = ", ".join(f"{label}={value!r}" for label, value in group)
            found.append(f"conflicting spellings of {key}: {written}")
    return found


_RULES: Final = frozenset(RULE_KEYS)
_KEYS: dict[str, str] = {}  # tag key as written → as compared; a fleet spells a few dozen keys
_KEYS_MAX = 10_000
