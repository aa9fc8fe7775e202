"""The teardown policy, pure: tags + times + whitelist + what was already sent → a decision.

Safety first: a resource is deleted only if every mandatory tag is valid, it is not
production, not restricted, opted in (`auto-teardown=true`), not whitelisted, its TTL
has run out, and its owner was warned at least `notice` before now. Anything unclear is
kept, with the reason, and reported.
"""

from __future__ import annotations

import enum
import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from jobs.core.model import iso
from jobs.ttl_teardown.tags import Tags, conflicts, fold, normal_key, normalise

ENVIRONMENTS = frozenset({"dev", "staging", "sandbox", "demo", "prod"})
DATA_CLASSES = frozenset({"public", "internal", "confidential", "restricted"})
MANDATORY = ("environment", "owner", "project", "cost-center", "created_at", "auto-teardown", "data-class")
# 7d, 48h; "7d+14d" once extended. [0-9], never \d: Arabic-Indic or full-width digits are no days
_TTL = re.compile(r"([0-9]{1,4})([dh])((?:\+[0-9]{1,3}d)*)")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# On Kubernetes the clock is metadata.creationTimestamp: no created_at label needed.
_MANDATORY_K8S = tuple(key for key in MANDATORY if key != "created_at")
MISMATCH_TOLERANCE = timedelta(days=1)
_ZERO, _HOUR = timedelta(0), timedelta(hours=1)


class Verdict(enum.StrEnum):
    KEEP = "keep"  # protected or invalid: never deleted
    ALIVE = "alive"  # within its TTL, nothing due
    WARN = "warn"  # a warning is due now
    EXPIRED_WAITING = "expired_waiting"  # expired, but the owner's notice period has not run yet
    DELETE = "delete"


@dataclass(frozen=True)
class Resource:
    """What a provider saw: AWS tags, or Kubernetes labels and annotations merged. An annotation
    that a label of the same key hides in the merge is kept in `shadowed`: two spellings of it."""

    id: str  # ARN, or k8s:<namespace>/<kind>/<name>
    type: str  # e.g. ec2:instance, s3:bucket, k8s:namespace
    tags: Mapping[str, str]
    api_created_at: datetime | None = None  # what the API says (LaunchTime, creationTimestamp)
    clock_from_api: bool = False  # Kubernetes: label values cannot hold a timestamp
    namespace: str | None = None  # Kubernetes
    shadowed: Mapping[str, str] | None = None  # Kubernetes

    @functools.cached_property
    def normalised(self) -> Tags:
        """The tags as the rules read them, worked out once per resource."""
        return normalise(self.tags, self.shadowed)


@dataclass(frozen=True)
class Whitelist:
    arn_patterns: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    namespaces: tuple[str, ...] = ()

    @functools.cached_property
    def _tags(self) -> tuple[tuple[str, str, str], ...]:
        """(normal key, folded value, as configured): any spelling, any case matches."""
        return tuple((normal_key(key), fold(value.strip()), f"{key}={value}") for key, value in self.tags)

    def match(self, res: Resource, tags: Tags) -> str | None:
        if not (self.arn_patterns or self.tags or self.namespaces):
            return None  # the common case, asked once per resource
        for pattern in self.arn_patterns:
            if fnmatch.fnmatchcase(res.id, pattern):
                return f"whitelisted by pattern {pattern}"
        for key, value, shown in self._tags:
            if any(fold(found) == value for found in tags.values_of(key)):
                return f"whitelisted by tag {shown}"
        if res.namespace is not None and res.namespace in self.namespaces:
            return f"whitelisted namespace {res.namespace}"
        return None


@dataclass(frozen=True)
class Policy:
    max_ttl_days: int = 30
    warn_before: tuple[timedelta, ...] = (timedelta(hours=48), timedelta(hours=24))
    notice: timedelta = timedelta(hours=24)  # the least time between a warning and the deletion
    whitelist: Whitelist = field(default_factory=Whitelist)


@dataclass(frozen=True)
class History:
    """What earlier runs did for this resource (from the state DB)."""

    warnings: Mapping[str, datetime] = field(default_factory=dict)  # warning key → when sent
    extension_days: float = 0.0


class Decision(NamedTuple):  # a tuple: made once per resource per run, four times cheaper than a frozen dataclass
    resource: Resource
    verdict: Verdict
    reason: str
    violations: tuple[str, ...] = ()
    expires_at: datetime | None = None
    warning: str | None = None  # the warning to send now ("48h", "24h", "expired")
    mismatch: str | None = None  # an informational created_at mismatch


@functools.lru_cache(maxsize=4096)  # pure, and a fleet repeats a handful of ttl values
def parse_ttl(text: str, max_days: int) -> tuple[timedelta | None, str | None]:
    """`7d`, `14d`, `48h`: a TTL or why not. Above `max_days` is refused, never capped.

    `+14d` parts are extensions written back for people to see; the days granted come from
    the state DB (so a tag reset by IaC cannot shorten them), so only the base counts here.
    """
    match = _TTL.fullmatch(text.strip().lower())
    if not match:
        return None, f"ttl {text!r} is not <number>d or <number>h"
    amount, unit = int(match.group(1)), match.group(2)
    ttl = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
    if ttl <= timedelta(0):
        return None, "ttl must be more than zero"
    if ttl > timedelta(days=max_days):
        return None, f"ttl {text} is over the {max_days}-day maximum"
    return ttl, None


@functools.lru_cache(maxsize=65536)  # pure; IaC stamps many resources with one instant
def parse_created_at(text: str, now: datetime) -> tuple[datetime | None, str | None]:
    """An ISO 8601 instant with a timezone, in ASCII digits only (whatever `fromisoformat` accepts)."""
    if not text.isascii():
        return None, f"created_at {text!r} is not an ISO 8601 instant"
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None, f"created_at {text!r} is not an ISO 8601 instant"
    if moment.tzinfo is None:
        return None, f"created_at {text!r} has no timezone"
    if moment > now:
        return None, f"created_at {text} is in the future"
    return moment, None


def protection(tags: Tags) -> str | None:
    """Why a resource must stay whatever else is true (checked before anything else): any
    spelling of the key saying so is enough."""
    env, data_class = tags.get("environment", ""), tags.get("data-class", "")
    if fold(env) == "prod" or (tags.spellings and _says(tags, "environment", "prod")):
        return "environment=prod"
    if fold(data_class) == "restricted" or (tags.spellings and _says(tags, "data-class", "restricted")):
        return "data-class=restricted"
    return None


def _says(tags: Tags, key: str, wanted: str) -> bool:
    return any(fold(value) == wanted for value in tags.values_of(key))


def opted_in(tags: Tags) -> bool:
    """Every spelling of auto-teardown says exactly `true` (a look-alike never opts in)."""
    if not tags.spellings:
        return tags.get("auto-teardown", "").lower() == "true"
    values = tags.values_of("auto-teardown")
    return bool(values) and all(value.lower() == "true" for value in values)


def violations(res: Resource, tags: Tags, policy: Policy, now: datetime) -> list[str]:
    get = tags.get
    found = [f"missing tag {key}" for key in (_MANDATORY_K8S if res.clock_from_api else MANDATORY) if not get(key)]
    env = get("environment", "").lower()
    if env and env not in ENVIRONMENTS:
        found.append(f"environment {tags['environment']!r} is not one of {', '.join(sorted(ENVIRONMENTS))}")
    owner = get("owner")
    if owner and not _is_email(owner):
        found.append(f"owner {owner!r} is not an e-mail address")
    data_class = get("data-class", "").lower()
    if data_class and data_class not in DATA_CLASSES:
        found.append(f"data-class {tags['data-class']!r} is not one of {', '.join(sorted(DATA_CLASSES))}")
    teardown = get("auto-teardown", "").lower()
    if teardown and teardown not in ("true", "false"):
        found.append(f"auto-teardown {tags['auto-teardown']!r} is not true or false")
    if env != "prod":
        ttl = get("ttl")
        problem = parse_ttl(ttl, policy.max_ttl_days)[1] if ttl else "missing tag ttl"
        if problem:
            found.append(problem)
    if res.clock_from_api:
        if res.api_created_at is None:
            found.append("no creation time from the API")
    elif created := get("created_at"):
        problem = parse_created_at(created, now)[1]
        if problem:
            found.append(problem)
    return found + conflicts(tags) if tags.spellings else found


@functools.lru_cache(maxsize=4096)  # a fleet has few owners
def _is_email(text: str) -> bool:
    return _EMAIL.match(text) is not None


def decide(res: Resource, policy: Policy, history: History, now: datetime) -> Decision:
    tags = res.normalised
    if reason := protection(tags) or policy.whitelist.match(res, tags):
        return Decision(res, Verdict.KEEP, reason, tuple(conflicts(tags)))  # a disagreement is still reported
    problems = violations(res, tags, policy, now)
    if problems:
        return Decision(res, Verdict.KEEP, "tag violation: " + "; ".join(problems), tuple(problems))
    if not opted_in(tags):
        return Decision(res, Verdict.KEEP, "auto-teardown is not true")
    ttl, _ = parse_ttl(tags["ttl"], policy.max_ttl_days)
    started, mismatch = _clock(res, tags, now)
    assert ttl is not None and started is not None  # guaranteed by violations() above
    expires = started + ttl + timedelta(days=history.extension_days)
    return _timeline(res, policy, history, now, expires, mismatch)


def _clock(res: Resource, tags: Tags, now: datetime) -> tuple[datetime | None, str | None]:
    if res.clock_from_api:
        return res.api_created_at, None
    tagged, _ = parse_created_at(tags["created_at"], now)
    mismatch = None
    if tagged and res.api_created_at and res.api_created_at - tagged > MISMATCH_TOLERANCE:
        mismatch = (
            f"the API reports creation at {iso(res.api_created_at)}, "
            f"{(res.api_created_at - tagged).days} days after the created_at tag; the tag is used"
        )
    return tagged, mismatch


def warning_key(label: str, expires: datetime) -> str:
    """Warnings belong to one deadline: after an extension the owner is warned afresh."""
    return f"{label}@{iso(expires)}"


def _timeline(
    res: Resource, policy: Policy, history: History, now: datetime, expires: datetime, mismatch: str | None
) -> Decision:
    def decision(verdict: Verdict, reason: str, label: str | None = None) -> Decision:
        key = warning_key(label, expires) if label else None
        return Decision(res, verdict, reason, expires_at=expires, warning=key, mismatch=mismatch)

    sent = _sent(history, expires)
    left = expires - now
    if left <= _ZERO:
        first = min(sent.values(), default=None)
        if first is not None and first <= now - policy.notice:
            return decision(Verdict.DELETE, f"ttl expired {_span(-left)} ago")
        if first is None:
            return decision(Verdict.WARN, "expired before any warning: warn first, delete after the notice", "expired")
        return decision(Verdict.EXPIRED_WAITING, f"expired; the notice runs until {iso(first + policy.notice)}")
    sent_windows = [_hours(label) for label in sent if label != "expired"]
    due = [
        window
        for window in policy.warn_before
        if left <= window and not any(s <= window // _HOUR for s in sent_windows)
    ]
    if due:  # one message for the nearest deadline; it covers the wider windows too
        return decision(Verdict.WARN, f"expires in {_span(left)}", _label(min(due)))
    return decision(Verdict.ALIVE, f"expires in {_span(left)}")


def _sent(history: History, expires: datetime) -> dict[str, datetime]:
    """The warnings already sent for this deadline, by label."""
    if not history.warnings:
        return {}
    suffix = "@" + iso(expires)
    return {k.removesuffix(suffix): at for k, at in history.warnings.items() if k.endswith(suffix)}


def _label(window: timedelta) -> str:
    return f"{window // _HOUR}h"


def _hours(label: str) -> int:
    return int(label.removesuffix("h"))


def _span(span: timedelta) -> str:
    hours = span // _HOUR
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"
