"""What the /snooze tests share: a deployment (settings file, state DB, the moto fleet), links,
function-URL events as Lambda builds them, and the state DB's extension rows."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import create_engine, inspect, text

from jobs.core.aws_lambda import handler
from jobs.core.http_route import SECURITY_HEADERS
from jobs.core.state.engine import normalise_url
from jobs.ttl_teardown import snooze
from tests.helpers import write_config
from tests.ttl_teardown.fleet import OWNER, REGION

KEY = "snooze-route-test-key-" + "0123456789abcdef" * 2  # 54 bytes
BASE = "https://snooze.example.test"
ACCOUNT = "123456789012"  # moto's


def arn(instance: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"


class Site:
    """A configured deployment of the route: its settings file (SECOPS_CONFIG), its state DB
    and the fleet's instances."""

    def __init__(
        self,
        fleet: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        state_url: str | None = None,
        top: dict[str, Any] | None = None,
        **section: Any,
    ) -> None:
        self.dir: Path = fleet["dir"]
        self.ids: dict[str, str] = fleet["ids"]
        self.state_url = state_url or f"sqlite:///{self.dir}/state.db"
        ttl = {"regions": [REGION], "aws": {"types": ["ec2:instance"]}, "snooze": {"hmac_key": KEY, "base_url": BASE}}
        settings = {
            "state_db_url": self.state_url,
            "log_level": "warning",
            "notifications": {"file": {"path": str(self.dir / "outbox.jsonl")}},
            "ttl_teardown": {**ttl, **section},
            **(top or {}),
        }
        self.config = write_config(self.dir / "secops.yaml", settings)
        monkeypatch.setenv("SECOPS_CONFIG", self.config)

    def link(self, name: str = "doomed", days: int = 7, owner: str = OWNER, hours: int = 72) -> str:
        return snooze.link(BASE, KEY.encode(), arn(self.ids[name]), owner, days, datetime.now(UTC), hours)

    def rows(self) -> list[tuple[Any, ...]]:
        """(resource, days, number, link) of every extension recorded, in order."""
        engine = create_engine(normalise_url(self.state_url))
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table("secops_extensions"):
                    return []
                query = "SELECT resource, days, number, link FROM secops_extensions ORDER BY id"
                return [tuple(row) for row in conn.execute(text(query))]
        finally:
            engine.dispose()


def url_event(
    method: str, query: str = "", body: str | None = None, b64: bool = False, path: str = "/snooze"
) -> dict[str, Any]:
    """A Lambda function URL request (payload 2.0), as Lambda hands it to the handler."""
    headers = {"host": "snooze.example.test", "user-agent": "Mozilla/5.0"}
    if body is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"}},
        "body": base64.b64encode(body.encode()).decode() if b64 and body is not None else body,
        "isBase64Encoded": b64,
    }


def call(event: dict[str, Any]) -> dict[str, Any]:
    """The real handler's answer; every answer carries the security headers."""
    answer: dict[str, Any] = handler(event, None)
    for name, value in SECURITY_HEADERS.items():
        assert answer["headers"][name] == value, (name, answer)
    return answer


def log_lines(stderr: str, event: str) -> list[dict[str, Any]]:
    """The fields of each JSON log line `event` in `stderr` (the route's logs as Lambda keeps them)."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line.get("fields", {}) for line in lines if line.get("event") == event]


def query_of(link: str) -> str:
    return urlsplit(link).query


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action")
        if tag == "input" and found.get("type") == "hidden":
            self.fields.append((found.get("name") or "", found.get("value") or ""))


def form_of(page: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The form's action and its hidden fields, as a browser reads them."""
    parser = _Form()
    parser.feed(page)
    return parser.action, parser.fields


def press(page: dict[str, Any], b64: bool = True) -> dict[str, Any]:
    """What a browser sends pressing the page's button: the form's fields, form-encoded."""
    action, fields = form_of(page["body"])
    assert action, page["body"]
    return call(url_event("POST", body=urlencode(fields), b64=b64, path=action))


def follow(answer: dict[str, Any]) -> dict[str, Any]:
    """The GET a browser makes after a 303."""
    assert answer["statusCode"] == 303, answer
    location = urlsplit(answer["headers"]["Location"])
    return call(url_event("GET", location.query, path=location.path))
