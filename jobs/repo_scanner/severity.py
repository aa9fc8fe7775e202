"""One severity model for every scanner: a table from a hit's category to critical/warning/info.

A live cloud or private key in the working tree is critical; the same only in history is a
warning, unless the secret is still present elsewhere in the tree (then it is live: critical).
CVSS >= 9 is critical, >= 7 a warning, below that info; an advisory without a score is a
warning (unknown is not low). A denied license is a warning. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from jobs.core.model import Severity
from jobs.repo_scanner.model import Hit

C, W, I = Severity.CRITICAL, Severity.WARNING, Severity.INFO  # noqa: E741

#: category → (in the working tree, only in history)
CATEGORIES: Final[dict[str, tuple[Severity, Severity]]] = {
    "secret:key": (C, W),  # cloud keys, private keys, provider tokens: usable as found
    "secret:generic": (W, I),  # a password or API key assigned in config or code
    "sast:ERROR": (W, W),
    "sast:WARNING": (I, I),
    "sast:INFO": (I, I),
    "license:denied": (W, W),
    "license:unknown": (W, W),  # settings may lower or raise it (licenses.unknown)
    "database:stale": (W, W),  # the OSV database is older than max_db_age_days
}


def cvss_severity(score: float | None) -> Severity:
    if score is None:
        return W
    if score >= 9.0:
        return C
    if score >= 7.0:
        return W
    return I


def severity(hit: Hit, live_secrets: frozenset[str], overrides: Mapping[str, Severity] | None = None) -> Severity:
    """The severity of `hit`. `live_secrets`: the secret ids found in the working tree, so a
    history hit of a secret still present elsewhere is judged as the tree's."""
    if hit.category == "vulnerability":
        return cvss_severity(hit.cvss)
    if overrides and hit.category in overrides:
        return overrides[hit.category]
    tree, history = CATEGORIES.get(hit.category, (W, W))  # an unknown category is never quiet
    if not hit.in_history or (hit.secret_id is not None and hit.secret_id in live_secrets):
        return tree
    return history
