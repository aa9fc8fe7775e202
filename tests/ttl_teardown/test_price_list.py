"""Prices refreshed from the AWS Price List API (a fake: moto has none), cached for a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.state.engine import StateStore
from jobs.ttl_teardown.cost import load_pricing
from jobs.ttl_teardown.price_list import refresh
from tests import services
from tests.fakes.pricing import FakePricing

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_prices_come_from_the_api_once_a_week_and_unknown_ones_keep_the_shipped_price(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mp = monkeypatch
    with FakePricing({("AmazonEC2", "m5.large"): "0.1070000000", ("AmazonRDS", "db.t3.micro"): "0.0180000000"}) as fake:
        mp.setenv("AWS_ENDPOINT_URL_PRICING", fake.url)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        client = aws_client("pricing", "us-east-1")
        state = StateStore(f"sqlite:///{tmp_path}/s.db")
        state.upgrade(NOW)
        shipped = load_pricing(None)
        prices = refresh(shipped, client, "eu-west-1", {"m5.large", "x9.unknown"}, {"db.t3.micro"}, state, NOW)
        assert prices.ec2_hourly["m5.large"] == 0.107 and prices.rds_hourly["db.t3.micro"] == 0.018
        assert prices.ec2_hourly["t3.micro"] == shipped.ec2_hourly["t3.micro"]
        assert "x9.unknown" not in prices.ec2_hourly
        first = fake.asked[0]
        assert first["ServiceCode"] == "AmazonEC2"
        assert {"Type": "TERM_MATCH", "Field": "location", "Value": "EU (Ireland)"} in first["Filters"]
        asked = len(fake.asked)
        again = refresh(shipped, client, "eu-west-1", {"m5.large"}, {"db.t3.micro"}, state, NOW + timedelta(days=6))
        assert again.ec2_hourly["m5.large"] == 0.107 and len(fake.asked) == asked  # from the cache
        refresh(shipped, client, "eu-west-1", {"m5.large"}, set(), state, NOW + timedelta(days=8))
        assert len(fake.asked) == asked + 1  # stale after a week


def test_a_weekly_refresh_happens_on_the_run_a_week_later_even_when_it_starts_a_little_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakePricing({("AmazonEC2", "m5.large"): "0.1070000000"}) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", fake.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        client = aws_client("pricing", "us-east-1")
        state = StateStore(f"sqlite:///{tmp_path}/s.db")
        state.upgrade(NOW)
        shipped = load_pricing(None)
        refresh(shipped, client, "eu-west-1", {"m5.large"}, set(), state, NOW + timedelta(seconds=30))
        asked = len(fake.asked)
        refresh(shipped, client, "eu-west-1", {"m5.large"}, set(), state, NOW + timedelta(days=7))
        assert len(fake.asked) == asked + 1  # not a week and a day later


def test_an_unreachable_price_list_keeps_the_shipped_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mp = monkeypatch
    mp.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{services.free_port()}")
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state = StateStore(f"sqlite:///{tmp_path}/s.db")
    state.upgrade(NOW)
    shipped = load_pricing(None)
    client = aws_client("pricing", "us-east-1", max_attempts=1)
    assert refresh(shipped, client, "us-east-1", {"m5.large"}, set(), state, NOW) == shipped
