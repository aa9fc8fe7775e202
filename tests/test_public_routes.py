"""What every public route of the function URL shares, through the real Lambda handler: a
secret that is no UTF-8 text is a configuration error naming it (the routes answer 503, never
a crash), and a route that raises anyway is a 500 with the security headers, its traceback in
the logs, never out of the handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import SecretStr

from jobs.core import logs
from jobs.core.aws_lambda import handler
from jobs.core.errors import ConfigError
from jobs.core.http_route import SECURITY_HEADERS
from jobs.core.resolve import load_settings
from jobs.core.settings import MIN_SECRET_BYTES, strong_secret
from jobs.ttl_teardown.settings import SnoozeSettings
from jobs.ttl_teardown.snooze import signing_key
from tests.helpers import write_config

#: what `k…k\xff` in the function's environment reads as (os.environ's surrogateescape)
NOT_UTF8 = "k" * 40 + "\udcff"
#: the adversarial ones: a lone surrogate anywhere, 31 and 32 bytes, whitespace around, non-ASCII
SECRETS = [NOT_UTF8, "\udcff" + "k" * 40, "k" * 31, "k" * 32, " " + "k" * 31 + "\n", "é" * 15 + "k", "\ud800" * 20]


def url_event(path: str, method: str, query: str = "", body: str = "", **headers: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "203.0.113.9"}},
        "body": body,
        "isBase64Encoded": False,
    }


ROUTES = {
    "/snooze": (
        "SECOPS_TTL_TEARDOWN__SNOOZE__HMAC_KEY",
        {"ttl_teardown": {"snooze": {"base_url": "https://snooze.example.test"}}},
        url_event("/snooze", "GET", "v=1&r=x&o=y&d=7&e=1&s=" + "0" * 64),
        "ttl_teardown.snooze.hmac_key",
    ),
    "/gitlab-push": (
        "SECOPS_REPO_SCANNER__PUSH__GITLAB_TOKEN",
        {"repo_scanner": {}},
        url_event("/gitlab-push", "POST", body="{}", **{"X-Gitlab-Event": "Push Hook"}),
        "repo_scanner.push.gitlab_token",
    ),
}


def assert_headers(answer: dict[str, Any]) -> None:
    assert {name: answer["headers"].get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, answer


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_secret_that_is_not_utf8_is_a_configuration_error_naming_it_and_the_route_answers_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], route: str
) -> None:
    variable, settings, event, name = ROUTES[route]
    settings = {"state_db_url": f"sqlite:///{tmp_path}/s.db", **settings}
    monkeypatch.setenv("SECOPS_CONFIG", write_config(tmp_path / "c.yaml", settings))
    monkeypatch.setenv(variable, NOT_UTF8)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    [problem] = refused.value.problems
    assert problem.startswith(name) and "UTF-8" in problem and "k" * 40 not in problem
    answer = handler(event, None)
    assert answer["statusCode"] == 503
    assert_headers(answer)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "k" * 40 not in err


def explode(event: Any) -> NoReturn:
    """A route with a bug of ours."""
    raise UnicodeEncodeError("utf-8", "k\udcff", 1, 2, "surrogates not allowed")


def test_a_route_that_raises_is_a_500_with_the_security_headers_and_its_traceback_in_the_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure()  # as the cold start that loaded the settings did, to this test's stderr
    routes = {"/boom": f"{__name__}:explode"}
    answer = handler(url_event("/boom", "POST"), None, routes)
    assert (answer["statusCode"], answer["body"]) == (500, "internal error")
    assert_headers(answer)
    [line] = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    assert line["event"] == "route_failed" and line["fields"] == {"route": "/boom"}
    assert "UnicodeEncodeError" in line["exception"]


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=48) | st.sampled_from(SECRETS))
@example("é" * 16)
@example(" " * 40)
def test_every_secret_the_settings_accept_the_routes_can_encode(text: str) -> None:
    """The settings' predicate and the routes' encoders agree: accepted means strict UTF-8 of
    at least 32 bytes besides whitespace; lone surrogates, whitespace and short texts refused."""
    value = SecretStr(text)
    try:
        strong_secret(value)
    except ValueError:
        accepted = False
    else:
        accepted = True
    try:
        length = len(text.strip().encode("utf-8"))
    except UnicodeEncodeError:
        length = -1
    assert accepted == (length >= MIN_SECRET_BYTES)
    if accepted:
        assert signing_key(SnoozeSettings(hmac_key=value)) == text.encode()
