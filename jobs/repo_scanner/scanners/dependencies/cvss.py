"""CVSS base scores from an advisory's `severity[]` vectors: v3.0/v3.1 computed here (the
FIRST specification's formulas, pure); v4.0 through the `cvss` package when installed (its
score comes from a published lookup table, not a formula); failing both, the database's own
label (GHSA's `database_specific.severity`) mapped to a representative score."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PRIVILEGES: Final[dict[str, tuple[float, float]]] = {"N": (0.85, 0.85), "L": (0.62, 0.68), "H": (0.27, 0.5)}
#: GHSA's labels when no vector can be scored: the middle of each CVSS band (severity.py)
LABELS: Final[dict[str, float]] = {"CRITICAL": 9.5, "HIGH": 8.0, "MODERATE": 5.5, "MEDIUM": 5.5, "LOW": 2.0}


def roundup(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest one-decimal number >= value, free of float noise."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000.0
    return (math.floor(scaled / 10_000) + 1) / 10.0


def metrics(vector: str) -> dict[str, str]:
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith("CVSS:"):
        raise ValueError(f"not a CVSS vector: {vector[:60]!r}")
    found: dict[str, str] = {}
    for part in parts[1:]:
        name, _, value = part.partition(":")
        if name in found:
            raise ValueError(f"{name} twice in the vector")
        found[name] = value
    return found


def v3_base(vector: str) -> float:
    """The base score of a `CVSS:3.0/...` or `CVSS:3.1/...` vector. ValueError if incomplete."""
    m = metrics(vector)
    try:
        changed = {"U": False, "C": True}[m["S"]]
        pr = _PRIVILEGES[m["PR"]][changed]
        c, i, a = (_WEIGHTS[k][m[k]] for k in ("C", "I", "A"))
        exploitability = 8.22 * _WEIGHTS["AV"][m["AV"]] * _WEIGHTS["AC"][m["AC"]] * pr * _WEIGHTS["UI"][m["UI"]]
    except KeyError as exc:
        raise ValueError(f"an incomplete or unknown CVSS v3 metric: {exc}") from None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    if changed:
        return roundup(min(1.08 * (impact + exploitability), 10.0))
    return roundup(min(impact + exploitability, 10.0))


def v4_base(vector: str) -> float | None:
    """A v4.0 vector's score by the `cvss` package (None when it is not installed)."""
    try:
        from cvss import CVSS4  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return float(CVSS4(vector).base_score)
    except Exception as exc:  # noqa: BLE001 - the package raises its own error classes
        raise ValueError(f"not a CVSS v4 vector: {exc}") from None


def score(severities: Sequence[Any], label: Any = None) -> tuple[float | None, str | None]:
    """(score, the vector it came from) of an advisory: the highest scorable vector, else
    the database's label, else (None, None): unknown, which severity.py treats as a warning."""
    best: tuple[float | None, str | None] = (None, None)
    for entry in severities:
        if not isinstance(entry, Mapping):
            continue
        kind, vector = str(entry.get("type", "")), str(entry.get("score", ""))
        try:
            value = v3_base(vector) if kind == "CVSS_V3" else v4_base(vector) if kind == "CVSS_V4" else None
        except ValueError:
            continue
        if value is not None and (best[0] is None or value > best[0]):
            best = (value, vector)
    if best[0] is None and isinstance(label, str) and label.upper() in LABELS:
        return LABELS[label.upper()], None
    return best
