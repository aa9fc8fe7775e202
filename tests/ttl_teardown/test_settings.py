"""The ttl_teardown section refuses what makes no sense: negative or zero durations, empty
lists, values listed twice. Each is exit 2 with one line naming the key, before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.core.cli import job_main
from jobs.core.errors import ConfigError
from jobs.core.resolve import load_settings
from tests.helpers import write_config


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"warn_before_hours": [-48, 24]}, "ttl_teardown.warn_before_hours.0: Input should be greater than 0"),
        ({"warn_before_hours": [48, 0]}, "ttl_teardown.warn_before_hours.1: Input should be greater than 0"),
        ({"warn_before_hours": []}, "ttl_teardown.warn_before_hours: List should have at least 1 item"),
        ({"warn_before_hours": [24, 48, 24]}, "ttl_teardown.warn_before_hours: 24 listed more than once"),
        ({"regions": []}, "ttl_teardown.regions: List should have at least 1 item"),
        ({"regions": ["eu-west-1", " eu-west-1 "]}, "ttl_teardown.regions: eu-west-1 listed more than once"),
        ({"regions": [" "]}, "ttl_teardown.regions.0: String should have at least 1 character"),
        ({"aws": {"types": []}}, "ttl_teardown.aws.types: List should have at least 1 item"),
        ({"aws": {"types": ["s3:bucket", "s3:bucket"]}}, "ttl_teardown.aws.types: s3:bucket listed more than once"),
        ({"kubernetes": {"kinds": ["pod"]}}, "ttl_teardown.kubernetes.kinds: unknown kind(s) pod"),
        ({"kubernetes": {"kinds": ["service"] * 2}}, "ttl_teardown.kubernetes.kinds: service listed more than once"),
        (
            {"extension": {"allowed_days": [-7]}},
            "ttl_teardown.extension.allowed_days.0: Input should be greater than 0",
        ),
        ({"extension": {"allowed_days": []}}, "ttl_teardown.extension.allowed_days: List should have at least 1 item"),
        ({"extension": {"allowed_days": [7, 7]}}, "ttl_teardown.extension.allowed_days: 7 listed more than once"),
        (
            {"extension": {"allowed_days": [90], "max_total_days": 60}},
            "ttl_teardown.extension: allowed_days [90]: every size is above max_total_days (60)",
        ),
        ({"quotas": {"default": {"s3_buckets": -1}}}, "ttl_teardown.quotas.default.s3_buckets: Input should be"),
    ],
)
def test_a_senseless_list_or_duration_is_a_configuration_error_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: dict[str, Any], key: str
) -> None:
    config = write_config(tmp_path / "c.yaml", {"state_db_url": f"sqlite:///{tmp_path}/s.db", "ttl_teardown": section})
    assert job_main("ttl-teardown", ["--config", config]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"ttl-teardown: configuration error: {key}"), line
    assert not (tmp_path / "s.db").exists()  # nothing ran


def warn_windows(values: list[int]) -> list[int] | str:
    """The accepted form of `warn_before_hours`, or the key the error must name."""
    if not values:
        return "ttl_teardown.warn_before_hours"
    if bad := [i for i, v in enumerate(values) if v <= 0]:
        return f"ttl_teardown.warn_before_hours.{bad[0]}"
    return "ttl_teardown.warn_before_hours" if len(set(values)) < len(values) else values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([0, -1, 1, 24, 48, -48])),
        max_size=6,
    )
)
def test_warning_windows_are_positive_distinct_and_at_least_one(tmp_path: Path, values: list[int]) -> None:
    config = write_config(tmp_path / "w.yaml", {"ttl_teardown": {"warn_before_hours": values}})
    expected = warn_windows(values)
    if isinstance(expected, list):
        assert load_settings(config).ttl_teardown.warn_before_hours == expected
        return
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
