"""Dollars avoided by a deletion: hourly on-demand price times the hours the resource would
otherwise have kept running, up to a horizon (default 30 days).

Prices come from `jobs/ttl_teardown/pricing.yaml` (EC2 instance types, RDS classes, EBS per GB-month
by volume type, S3 per GB-month); an unknown price is reported as unknown, never as 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from jobs.core import yamlfile
from jobs.core.errors import ConfigError

HOURS_PER_MONTH = 730  # AWS bills GB-months over 730 hours


@dataclass(frozen=True)
class Pricing:
    ec2_hourly: Mapping[str, float] = field(default_factory=dict)
    rds_hourly: Mapping[str, float] = field(default_factory=dict)
    ebs_gb_month: Mapping[str, float] = field(default_factory=dict)
    s3_gb_month: float = 0.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> Pricing:
        try:
            return cls(
                ec2_hourly={k: float(v) for k, v in (data.get("ec2_hourly") or {}).items()},
                rds_hourly={k: float(v) for k, v in (data.get("rds_hourly") or {}).items()},
                ebs_gb_month={k: float(v) for k, v in (data.get("ebs_gb_month") or {}).items()},
                s3_gb_month=float(data.get("s3_gb_month") or 0.0),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: prices must be numbers by name ({exc})") from None


#: package data (pyproject: tool.setuptools.package-data), so a wheel, the image and the Lambda
#: zip carry it; a path beside the repository would exist only in a checkout
SHIPPED = Path(__file__).with_name("pricing.yaml")


def load_pricing(path: str | Path | None) -> Pricing:
    """The price list at `path`, or the one shipped with secops-jobs."""
    path = path or SHIPPED
    try:
        data = yamlfile.read(path) or {}
    except yamlfile.YamlProblem as exc:
        raise ConfigError(f"ttl_teardown.cost.pricing_file: {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"ttl_teardown.cost.pricing_file: {path} must be a mapping")
    return Pricing.from_mapping(data, str(path))


@dataclass(frozen=True)
class Sizing:
    """What a price depends on, as the provider saw it."""

    instance_type: str | None = None  # EC2 type or RDS class
    multi_az: bool = False
    volume_type: str | None = None
    size_gb: float | None = 0.0  # None: not known (an S3 bucket without a size metric)
    running: bool = True  # a stopped instance bills no compute


def _ec2(sizing: Sizing, pricing: Pricing) -> float | None:
    return pricing.ec2_hourly.get(sizing.instance_type or "") if sizing.running else 0.0  # stopped: no compute


def _rds(sizing: Sizing, pricing: Pricing) -> float | None:
    found = pricing.rds_hourly.get(sizing.instance_type or "")
    return None if found is None else found * (2 if sizing.multi_az else 1)


def _ebs(sizing: Sizing, pricing: Pricing) -> float | None:
    per_gb = pricing.ebs_gb_month.get(sizing.volume_type or "")
    return None if per_gb is None or sizing.size_gb is None else per_gb * sizing.size_gb / HOURS_PER_MONTH


def _s3(sizing: Sizing, pricing: Pricing) -> float | None:
    return None if sizing.size_gb is None else pricing.s3_gb_month * sizing.size_gb / HOURS_PER_MONTH


#: price key (a resource type's `price` in providers.aws.types) → dollars per hour
PRICES: Final[dict[str, Callable[[Sizing, Pricing], float | None]]] = {
    "ec2": _ec2,
    "rds": _rds,
    "ebs": _ebs,
    "s3": _s3,
}


def price(key: str, sizing: Sizing, pricing: Pricing) -> float | None:
    """On-demand dollars per hour by price key, or None when the price list does not know it."""
    return PRICES[key](sizing, pricing)


def avoided(hourly_usd: float | None, horizon_days: float) -> float | None:
    """What deleting now saves: the horizon's hours at the hourly price (it would not have
    stopped by itself), rounded to cents."""
    if hourly_usd is None:
        return None
    return round(hourly_usd * horizon_days * 24, 2)
