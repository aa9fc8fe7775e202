"""Settings: precedence, one clear line per bad value naming the key, nothing done on error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.core.errors import ConfigError
from jobs.core.resolve import load_settings
from tests.helpers import ROOT, run_sample, write_config
from tests.sample_jobs import SAMPLE_JOBS, write_items


def problems(path: str | None = None, **overrides: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, SAMPLE_JOBS, **overrides)
    return caught.value.problems


def test_precedence_is_overrides_then_environment_then_file_then_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        {"log_level": "warning", "pushgateway_url": "http://file:9091", "sample_store": {"max_actions": 7}},
    )
    assert load_settings(None).log_level == "info"
    assert load_settings(config, SAMPLE_JOBS).log_level == "warning"
    monkeypatch.setenv("SECOPS_LOG_LEVEL", "error")
    monkeypatch.setenv("SECOPS_SAMPLE_STORE__DRY_RUN", "false")
    settings = load_settings(config, SAMPLE_JOBS)
    assert settings.log_level == "error"
    assert settings.pushgateway_url == "http://file:9091"
    job = settings.job_settings("sample_store", destructive=True)
    assert (job.max_actions, job.dry_run) == (7, False)  # env and file merged inside one section
    assert load_settings(config, SAMPLE_JOBS, log_level="debug").log_level == "debug"


def test_config_path_comes_from_secops_config_when_not_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECOPS_CONFIG", write_config(tmp_path / "c.yaml", {"log_level": "debug"}))
    assert load_settings().log_level == "debug"


def test_destructive_jobs_default_to_dry_run_and_others_do_not() -> None:
    settings = load_settings(None, SAMPLE_JOBS)
    assert settings.job_settings("sample_store", destructive=True).dry_run is True
    assert settings.job_settings("sample_store", destructive=False).dry_run is False


def test_unknown_keys_are_rejected_in_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "c.yaml", {"pushgatway_url": "x", "notifications": {"slak": {}}})
    monkeypatch.setenv("SECOPS_SAMPLE_STORE__MAX_ACTOINS", "3")
    found = problems(config)
    assert "pushgatway_url: Extra inputs are not permitted" in found  # a URL may hold credentials: not echoed
    assert any(p.startswith("notifications.slak: Extra inputs are not permitted") for p in found)
    assert any(p.startswith("sample_store.max_actoins (from $SECOPS_SAMPLE_STORE__MAX_ACTOINS)") for p in found)


def test_bad_values_name_the_key_and_the_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECOPS_SAMPLE_STORE__MAX_ACTIONS_PERCENT", "150")
    config = write_config(
        tmp_path / "c.yaml", {"notifications": {"email": {"smtp_host": "h", "smtp_port": "abc", "sender": "a@b"}}}
    )
    found = problems(config)
    assert (
        "notifications.email.smtp_port: Input should be a valid integer, unable to parse string as an integer "
        "(got 'abc')" in found
    )
    assert (
        "sample_store.max_actions_percent (from $SECOPS_SAMPLE_STORE__MAX_ACTIONS_PERCENT): "
        "Input should be less than or equal to 100 (got '150')" in found
    )


def test_channel_rules_are_checked_up_front(tmp_path: Path) -> None:
    both = write_config(
        tmp_path / "a.yaml", {"notifications": {"slack": {"webhook_url": "https://x", "bot_token": "t"}}}
    )
    assert problems(both) == ["notifications.slack: set exactly one of webhook_url or bot_token"]
    routed = write_config(tmp_path / "b.yaml", {"notifications": {"routes": {"critical": ["pagerduty"]}}})
    assert problems(routed) == [
        "notifications: routes.critical names 'pagerduty', which is not configured (configured: file)"
    ]


def test_unreadable_or_malformed_files_are_one_line_each(tmp_path: Path) -> None:
    assert problems(str(tmp_path / "missing.yaml")) == [
        f"--config {tmp_path / 'missing.yaml'}: cannot read: No such file or directory"
    ]
    (tmp_path / "bad.yaml").write_text("a: [1, 2\nb: c")
    assert problems(str(tmp_path / "bad.yaml")) == [
        f"--config {tmp_path / 'bad.yaml'}: line 2, column 2: not valid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 1, column 4)"
    ]
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    assert problems(str(tmp_path / "list.yaml")) == [
        f"--config {tmp_path / 'list.yaml'}: top level must be a mapping of keys"
    ]


def test_file_references_are_resolved_and_a_missing_one_names_its_key(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("xoxb-from-a-file\n")
    config = write_config(
        tmp_path / "c.yaml", {"notifications": {"slack": {"bot_token": f"file:{token}", "channel": "#alerts"}}}
    )
    slack = load_settings(config).notifications.slack
    assert slack is not None and slack.bot_token is not None
    assert slack.bot_token.get_secret_value() == "xoxb-from-a-file"
    assert "xoxb-from-a-file" not in repr(slack)
    missing = write_config(tmp_path / "m.yaml", {"pushgateway_url": f"file:{tmp_path}/nope"})
    assert problems(missing) == [
        f"pushgateway_url: reference 'file:{tmp_path}/nope': cannot read {tmp_path}/nope: No such file or directory"
    ]


def test_a_bad_setting_exits_2_with_the_key_named_and_nothing_done(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(store, {"id": "a", "expires_at": "2020-01-01T00:00:00+00:00"})
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions": -1}})
    proc = subprocess.run(
        [sys.executable, "-m", "tests.sample_jobs", "--apply", "--config", config],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "SAMPLE_STORE": str(store), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "sample-store: configuration error: sample_store.max_actions: Input should be greater than or equal to 0 (got -1)"
    )
    assert (store / "a.json").exists()
    assert not (tmp_path / "secops-state.db").exists()


def test_now_without_a_timezone_is_a_usage_error(tmp_path: Path) -> None:
    from jobs.core.errors import UsageError

    with pytest.raises(UsageError, match=r"argument --now: '2026-11-23T06:00:00' has no timezone \(add Z"):
        run_sample(tmp_path, "--now", "2026-11-23T06:00:00")


def test_a_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    assert run_sample(tmp_path, "--shard", "3/3").code == 2
    assert run_sample(tmp_path, "--shard", "x").code == 2


@pytest.mark.parametrize("hours", [-1, ".nan", ".inf"])
def test_a_repeat_window_must_be_a_finite_number_of_hours(tmp_path: Path, hours: object) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"notifications: {{repeat_after_hours: {{critical: {hours}}}}}\n")
    assert any(p.startswith("notifications.repeat_after_hours.critical:") for p in problems(str(config)))


def test_yaml_errors_keep_the_parsers_reason_and_place_but_never_the_lines_text(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("notifications:\n  slack: {webhook_url: https://hooks.example.test/T0/B0/s3cr3t-value\n")
    [line] = problems(str(bad))
    assert line.startswith(f"--config {bad}: line 3, column 1: not valid YAML: expected ',' or '}}'")
    assert "s3cr3t" not in line
    bad.write_text("dry_run:\n\tmax_actions: 3\n")
    assert problems(str(bad)) == [
        f"--config {bad}: line 2, column 1: not valid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token)"
    ]


@given(
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "T25:00:00Z", " 10:61:00", "t12:00:00.5+14:00"]),
)
def test_a_date_shaped_value_that_is_no_date_is_a_yaml_problem_at_its_line(
    year: int, month: int, day: int, time: str
) -> None:
    """`expires: 2027-02-30` (a suppression, a settings value) is refused with its place, never a
    ValueError traceback from inside the parser; real dates still read as dates."""
    from jobs.core.yamlfile import YamlProblem, parse

    text = f"a: 1\nwhen: {year:04d}-{month:02d}-{day:02d}{time}\n"
    try:
        parse(text)
    except YamlProblem as exc:
        assert str(exc).startswith("line 2, column 7: not valid YAML: not a date or time")


def test_a_key_written_twice_in_one_mapping_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("sample_store:\n  dry_run: true\n  max_actions: 3\n  dry_run: false\n")
    assert problems(str(config)) == [
        f"--config {config}: line 4, column 3: not valid YAML: duplicate key 'dry_run' (first at line 2)"
    ]
    config.write_text("base: &base {max_actions: 3}\nsample_store:\n  <<: *base\n  max_actions: 4\n")
    assert problems(str(config)) == ["base: Extra inputs are not permitted"]  # a merged key may be overridden


def test_a_settings_file_that_is_not_utf8_is_one_line_naming_the_byte(tmp_path: Path) -> None:
    config = tmp_path / "latin1.yaml"
    config.write_bytes("log_level: info  # r\xe9gl\xe9\n".encode("latin-1"))
    assert problems(str(config)) == [f"--config {config}: not UTF-8 text (byte 0xe9 at offset 20)"]
    config.write_bytes(b"log_level: \x00\n")
    assert problems(str(config)) == [
        f"--config {config}: offset 11: not valid YAML: special characters are not allowed #x0000"
    ]


def warnings_logged(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> list[dict[str, object]]:
    import io
    import json

    from jobs.core import logs

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    logs.configure(stream=stream)
    load_settings(None, SAMPLE_JOBS)
    return [json.loads(line)["fields"] for line in stream.getvalue().splitlines()]


def test_an_unknown_secops_variable_is_warned_about_with_the_closest_key(monkeypatch: pytest.MonkeyPatch) -> None:
    found = warnings_logged(
        monkeypatch,
        {
            "SECOPS_STATE_DB": "sqlite:///typo.db",  # the value is never logged: it may be a secret
            "SECOPS_SAMPLE_STORE_DRY_RUN": "false",  # one underscore where two were meant
            "SECOPS_LOG_LEVEL": "info",
            "secops_sample_store__max_actions": "3",  # any case is read: not unknown
            "SECOPS_ACTOR": "ci",
        },
    )
    assert found == [
        {
            "variable": "SECOPS_SAMPLE_STORE_DRY_RUN",
            "closest": "SECOPS_SAMPLE_STORE__DRY_RUN",
            "message": "SECOPS_SAMPLE_STORE_DRY_RUN is not a setting and is ignored; "
            "did you mean SECOPS_SAMPLE_STORE__DRY_RUN?",
        },
        {
            "variable": "SECOPS_STATE_DB",
            "closest": "SECOPS_STATE_DB_URL",
            "message": "SECOPS_STATE_DB is not a setting and is ignored; did you mean SECOPS_STATE_DB_URL?",
        },
    ]


KNOWN_VARIABLES = [
    "SECOPS_LOG_LEVEL",
    "SECOPS_SAMPLE_STORE__DRY_RUN",
    "SECOPS_NOTIFICATIONS__SLACK__CHANNEL",
    "SECOPS_CONFIG",
]


def recased(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips + [False] * len(text), strict=False))


@given(
    st.sampled_from(KNOWN_VARIABLES),
    st.lists(st.booleans(), max_size=40),
    st.one_of(
        st.text(max_size=30),
        st.text(st.characters(categories=("L", "N", "Zs", "Pc")), min_size=1, max_size=5).map(lambda t: t * 2000),
        st.sampled_from(["", " ", "_", "__", "LOG_LEVEL ", " LOG_LEVEL", "ŁOG_LEVEL", "STATE_DB_URL\u200b"]),
    ),
)
def test_known_variables_in_any_case_are_never_warned_about_and_anything_else_always_is(
    known: str, flips: list[bool], suffix: str
) -> None:
    from jobs.core.environment import unknown_variables
    from jobs.core.resolve import sections
    from jobs.core.settings import ENV_PREFIX, settings_model

    model = settings_model(sections(SAMPLE_JOBS))
    spelt = recased(known, flips)
    other = "SECOPS_" + suffix
    found = unknown_variables({spelt: "1", other: "1", "PATH": "/bin"}, model, ENV_PREFIX)
    assert spelt not in [u.variable for u in found]
    first = other.upper()[len("SECOPS_") :].split("__", 1)[0]
    is_setting = first in {n.upper() for n in model.model_fields} or other.upper() == "SECOPS_CONFIG"
    assert (other in [u.variable for u in found]) is (not is_setting and other != spelt)


def test_every_yaml_file_a_setting_names_fails_with_the_parsers_reason_under_its_key(tmp_path: Path) -> None:
    from jobs.core.registry import JOBS
    from jobs.ttl_teardown.cost import load_pricing

    whitelist = tmp_path / "whitelist.yaml"
    whitelist.write_text("tags:\n  - {key: critical, value: 'true'\n")
    config = write_config(tmp_path / "c.yaml", {"ttl_teardown": {"whitelist_file": str(whitelist)}})
    with pytest.raises(ConfigError) as caught:
        load_settings(config, JOBS)
    assert caught.value.problems == [
        f"ttl_teardown: whitelist_file {whitelist}: line 3, column 1: not valid YAML: "
        "expected ',' or '}', but got '<stream end>' (while parsing a flow mapping at line 2, column 5)"
    ]
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text("ec2_hourly: {t3.micro: 0.01}\nec2_hourly: {t3.micro: 0.02}\n")
    with pytest.raises(
        ConfigError, match=r"pricing_file: .*line 2, column 1: not valid YAML: duplicate key 'ec2_hourly'"
    ):
        load_pricing(pricing)


@given(
    st.sampled_from(["tokne", "pasword", "secert", "webhok_url", "x", "Tok_en", "clé"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=8, max_size=60),
)
def test_a_misspelt_key_never_echoes_its_value(name: str, value: str) -> None:
    """`tokne: ghp_…` is an unknown key (exit 2); the message names the key, never the value it
    holds: a typo of `token` holds a token."""
    lines = problems(None, sample_store={name: value})
    assert lines and all(value not in line and repr(value) not in line for line in lines)
    assert any(name in line and "Extra inputs are not permitted" in line for line in lines)
