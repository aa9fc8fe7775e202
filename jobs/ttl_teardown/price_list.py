"""Refreshing on-demand prices from the AWS Price List API, cached in the state DB for a week.

Only the instance types and database classes actually in the inventory are asked for;
anything the API does not answer keeps the price from `jobs/ttl_teardown/pricing.yaml`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from jobs.core.cadence import elapsed
from jobs.core.state.caches import cache_get, cache_put
from jobs.core.state.engine import StateStore
from jobs.ttl_teardown.cost import Pricing

log = logging.getLogger("secops.ttl_teardown")
CACHE = "aws-pricing"
FRESH_FOR = timedelta(days=7)
#: the Price List API's names for regions
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
}


def _filters(region: str, **fields: str) -> list[dict[str, str]]:
    wanted = {"location": LOCATIONS.get(region, region), **fields}
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def hourly_usd(price_list: Iterable[str]) -> float | None:
    """The on-demand hourly USD price in a GetProducts answer, if there is exactly one kind."""
    for entry in price_list:
        product = json.loads(entry)
        for term in (product.get("terms", {}).get("OnDemand") or {}).values():
            for dimension in (term.get("priceDimensions") or {}).values():
                if dimension.get("unit") in ("Hrs", "Hours"):
                    usd = float(dimension.get("pricePerUnit", {}).get("USD", "nan"))
                    if usd == usd and usd > 0:  # not NaN, not a free tier line
                        return usd
    return None


def _ask(client: Any, service: str, region: str, **fields: str) -> float | None:
    answer = client.get_products(ServiceCode=service, Filters=_filters(region, **fields), MaxResults=10)
    return hourly_usd(answer.get("PriceList", []))


#: cache key prefix → the Price List API's service code and the fields naming the on-demand price
PRODUCTS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "ec2": (
        "AmazonEC2",
        {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"},
    ),
    "rds": ("AmazonRDS", {"deploymentOption": "Single-AZ", "databaseEngine": "PostgreSQL"}),
}


def refresh(
    pricing: Pricing,
    client: Any,
    region: str,
    ec2_types: set[str],
    rds_classes: set[str],
    state: StateStore,
    now: datetime,
) -> Pricing:
    """Ask for what the cache does not hold fresh; the first failure stops asking (the shipped
    prices still stand, said once in the log)."""
    from botocore.exceptions import BotoCoreError, ClientError

    wanted = [f"ec2:{region}:{t}" for t in sorted(ec2_types)] + [f"rds:{region}:{c}" for c in sorted(rds_classes)]
    cached = cache_get(state, CACHE, wanted)
    fresh: dict[str, dict[str, Any]] = {}
    for key in _stale(wanted, cached, now):
        kind, _, name = key.split(":", 2)
        service, fields = PRODUCTS[kind]
        try:
            usd = _ask(client, service, region, instanceType=name, **fields)
        except (BotoCoreError, ClientError, ValueError) as exc:
            log.warning("price_list_unavailable", extra={"fields": {"key": key, "error": type(exc).__name__}})
            break
        if usd is not None:
            fresh[key] = {"usd_hourly": usd, "at": now.isoformat()}
    cache_put(state, CACHE, fresh, now)
    return _merged(pricing, {**cached, **fresh})


def _stale(wanted: list[str], cached: dict[str, Any], now: datetime) -> list[str]:
    """The keys not cached, or cached longer than FRESH_FOR ago (a start's jitter allowed)."""
    return [
        key
        for key in wanted
        if not (entry := cached.get(key)) or elapsed(datetime.fromisoformat(entry["at"]), now, FRESH_FOR)
    ]


def _merged(pricing: Pricing, known: dict[str, Any]) -> Pricing:
    """The price list with every price the API answered in place of the shipped one."""

    def of(kind: str) -> dict[str, float]:
        return {k.split(":", 2)[2]: v["usd_hourly"] for k, v in known.items() if k.startswith(f"{kind}:")}

    return replace(
        pricing, ec2_hourly={**pricing.ec2_hourly, **of("ec2")}, rds_hourly={**pricing.rds_hourly, **of("rds")}
    )
