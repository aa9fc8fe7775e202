"""The control plane's rows as Tenants: pure (rows in, tenants and problems out).

What people put in a control plane, each handled and named: a tenant listed twice, a NULL or
empty name, a name with a line break (it becomes a mail subject), ids with spaces or a `/` (ids
become file names and S3 keys), a quota of 0, an `active` of NULL, a count that is not a number.
A problem is one tenant's ("stated on its report"); an error is the control plane's (a row that
cannot be any tenant's report, or a statement that returned the wrong shape).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from jobs.usage_report.contacts import parse_contacts
from jobs.usage_report.model import Tenant

TENANT_COLUMNS = ("id", "name", "contact_email", "locale", "monthly_call_quota", "active")
COUNTS = ("apis", "applications", "users")
MAX_NAME = 200  # characters: a name longer than a title line is a paste accident
_TRUE = {"t", "true", "1", "yes", "y", "on"}
_FALSE = {"f", "false", "0", "no", "n", "off"}


@dataclass
class Parsed:
    tenants: dict[str, Tenant] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def problem(self, tenant_id: str, text: str) -> None:
        self.problems.setdefault(tenant_id, []).append(text)


def parse_tenants(rows: Sequence[Sequence[Any]]) -> Parsed:
    """Rows of the tenants statement (TENANT_COLUMNS, in that order) as Tenants by id."""
    parsed = Parsed()
    if rows and len(rows[0]) != len(TENANT_COLUMNS):
        parsed.errors.append(
            f"the tenants statement returned {len(rows[0])} columns, expected {len(TENANT_COLUMNS)}: "
            + ", ".join(TENANT_COLUMNS)
        )
        return parsed
    candidates: dict[str, list[tuple[Tenant, list[str]]]] = {}
    for row in rows:
        tenant_id, why = _tenant_id(row[0])
        if tenant_id is None:
            parsed.errors.append(f"a tenants row ({_name_hint(row[1])}) {why}: skipped")
            continue
        candidates.setdefault(tenant_id, []).append(_tenant(tenant_id, row))
    for tenant_id, found in candidates.items():
        _keep_one(parsed, tenant_id, found)
    return parsed


def _keep_one(parsed: Parsed, tenant_id: str, found: list[tuple[Tenant, list[str]]]) -> None:
    """A tenant listed twice is reported; twice with different values it is not reported at
    all: which row holds the right contacts is unknown, and the wrong one would get its data."""
    if len({tenant for tenant, _ in found}) > 1:
        parsed.errors.append(
            f"tenant {tenant_id!r} is listed {len(found)} times in tenants with different values:"
            " not reported until the control plane lists it once"
        )
        return
    tenant, problems = found[0]
    parsed.tenants[tenant_id] = tenant
    for text in problems:
        parsed.problem(tenant_id, text)
    if len(found) > 1:
        parsed.problem(tenant_id, f"listed {len(found)} times in tenants (identical rows): reported once")


def _tenant_id(raw: Any) -> tuple[str | None, str]:
    if raw is None:
        return None, "has a NULL id"
    text = str(raw)
    if not text.strip():
        return None, "has an empty id"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None, f"has the id {text!r} with a control character (unusable in a file name or a mail header)"
    if "/" in text or "\\" in text or text.strip() in {".", ".."}:
        return None, f"has the id {text!r}, which names a folder (unusable in a file name or an S3 key)"
    return text, ""


def _name_hint(raw: Any) -> str:
    return f"name {str(raw)[:40]!r}" if raw not in (None, "") else "no name"


def _tenant(tenant_id: str, row: Sequence[Any]) -> tuple[Tenant, list[str]]:
    _, raw_name, raw_contacts, raw_locale, raw_quota, raw_active = row
    problems: list[str] = []
    if tenant_id != tenant_id.strip() or any(ch.isspace() for ch in tenant_id):
        problems.append(f"the tenant id {tenant_id!r} contains spaces: its files and S3 keys do too")
    contacts = parse_contacts(raw_contacts)
    problems.extend(contacts.problems)
    quota, quota_problem = _quota(raw_quota)
    active, active_problem = _active(raw_active)
    problems += [p for p in (quota_problem, active_problem) if p]
    tenant = Tenant(
        id=tenant_id,
        name=_name(tenant_id, raw_name, problems),
        contacts=contacts.addresses,
        locale="" if raw_locale is None else str(raw_locale),  # locale.py normalises and reports it
        monthly_call_quota=quota,
        active=active,
    )
    return tenant, problems


def _name(tenant_id: str, raw: Any, problems: list[str]) -> str:
    """The name to print: NFC (one spelling of "Société"), no control characters (a line break
    in a mail subject is a header injection), the id when there is none."""
    text = unicodedata.normalize("NFC", "" if raw is None else str(raw))
    cleaned = " ".join("".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text).split())
    if not cleaned:
        problems.append("has no name in the control plane: its id is shown instead")
        return tenant_id
    if cleaned != text.strip():
        problems.append(f"its name {text[:MAX_NAME]!r} has line breaks or control characters: shown as {cleaned!r}")
    if len(cleaned) > MAX_NAME:
        problems.append(f"its name is {len(cleaned)} characters long: shown cut to {MAX_NAME}")
        cleaned = cleaned[: MAX_NAME - 1] + "…"
    return cleaned


def _whole(raw: Any) -> int | None:
    """An integer from what a driver or an overridden statement returns (int, Decimal, float,
    digits as text); None for anything else (a bool is not a number here)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, Decimal | float):
        try:
            return int(raw) if raw == int(raw) else None
        except (ValueError, OverflowError):  # NaN, infinity
            return None
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None


def _quota(raw: Any) -> tuple[int | None, str]:
    if raw is None:
        return None, ""
    value = _whole(raw)
    if value is None:
        return None, f"monthly_call_quota {raw!r} is not a whole number: no quota shown"
    if value <= 0:
        return None, f"monthly_call_quota is {value}: a quota must be positive, no quota shown"
    return value, ""


def _active(raw: Any) -> tuple[bool, str]:
    """A NULL or unreadable `active` is false: a report mailed to an offboarded tenant's old
    contacts is worse than one not sent, and the problem says why."""
    if isinstance(raw, bool):
        return raw, ""
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw), ""
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE, ""
    shown = "NULL" if raw is None else repr(raw)
    return False, f"active is {shown}, not true or false: treated as inactive"


def apply_counts(parsed: Parsed, name: str, rows: Sequence[Sequence[Any]] | None, failure: str = "") -> None:
    """One count statement's rows (tenant_id, count) onto the tenants: a tenant absent from
    them has none (0); a failed statement (rows None) leaves the count unknown (None) for
    every tenant, with the failure as each one's problem. Rows of one tenant add up (a
    statement without GROUP BY)."""
    if rows is None:
        for tenant_id in parsed.tenants:
            parsed.problem(tenant_id, f"{name}: could not be counted ({failure})")
        return
    if rows and len(rows[0]) != 2:
        for tenant_id in parsed.tenants:
            parsed.problem(
                tenant_id, f"{name}: its statement returned {len(rows[0])} columns, expected tenant_id, count"
            )
        return
    totals: dict[str, int] = {}
    bad: dict[str, Any] = {}
    for tenant_id, raw in rows:
        value = _whole(raw)
        if value is None or value < 0:
            bad[str(tenant_id)] = raw
        else:
            totals[str(tenant_id)] = totals.get(str(tenant_id), 0) + value
    for tenant_id, tenant in parsed.tenants.items():
        if tenant_id in bad:
            parsed.problem(tenant_id, f"{name}: the count {bad[tenant_id]!r} is not a whole number: not shown")
            continue
        counted: dict[str, Any] = {name: totals.get(tenant_id, 0)}
        parsed.tenants[tenant_id] = replace(tenant, **counted)
