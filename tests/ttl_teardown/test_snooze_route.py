"""The public /snooze route through the real Lambda handler and function-URL events: a link
extends once (POST/redirect/GET), every malformed request is a 4xx page and no extension,
refusals say only "not found" / "cannot extend now", every answer carries the security
headers, and the settings are read once per cold start."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from jobs.core.aws_lambda import handler
from jobs.core.http_route import SECURITY_HEADERS
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.snooze_route import MAX_BODY
from tests.ttl_teardown.fleet import OWNER
from tests.ttl_teardown.snooze_site import (
    BASE,
    KEY,
    Site,
    arn,
    call,
    follow,
    form_of,
    log_lines,
    press,
    query_of,
    url_event,
)


@pytest.fixture
def site(fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Site:
    return Site(fleet, monkeypatch)


def instance_tags(fleet: dict[str, Any], name: str) -> dict[str, str]:
    found = fleet["ec2"].describe_instances(InstanceIds=[fleet["ids"][name]])["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in found["Tags"]}


# -- (4) a link extends once; POST answers 303 to a result page that never extends -----------------
def test_a_link_extends_once_its_result_page_never_extends_and_a_second_use_is_409(
    site: Site, fleet: dict[str, Any]
) -> None:
    link = site.link()
    shown = call(url_event("GET", query_of(link)))
    assert shown["statusCode"] == 200 and "<button>Extend</button>" in shown["body"]
    action, fields = form_of(shown["body"])
    assert action == "/snooze" and [name for name, _ in fields] == list(snooze.FIELDS)  # the signed fields only
    assert site.rows() == []  # a GET (a mail scanner) changes nothing
    done = press(shown)
    assert done["headers"]["Location"] == f"/snooze?{query_of(link)}"
    result = follow(done)
    assert (
        result["statusCode"] == 200
        and "was extended by 7 days" in result["body"]
        and "This link is used" in result["body"]
    )
    assert follow(done)["statusCode"] == 200  # a refresh of the result page: a GET again
    again = press(shown, b64=False)
    assert (again["statusCode"], "Already used" in again["body"] or "already used" in again["body"]) == (409, True)
    signature = dict(parse_qsl(query_of(link)))["s"]
    assert site.rows() == [(arn(site.ids["doomed"]), 7.0, 1, signature)]
    assert instance_tags(fleet, "doomed")["ttl"] == "2d+7d"


def test_a_second_link_for_the_same_resource_is_its_second_extension_and_the_limit_holds(site: Site) -> None:
    for days in (7, 14):
        assert press(call(url_event("GET", query_of(site.link(days=days)))))["statusCode"] == 303
    third = call(url_event("POST", body=query_of(site.link(days=7, hours=71)), b64=True))  # not the first link again
    assert third["statusCode"] == 409 and "Cannot extend now." in third["body"]
    assert [row[1:3] for row in site.rows()] == [(7.0, 1), (14.0, 2)]


# -- (3), (7), (8) every malformed request is a 4xx page, and no extension --------------------------
def _old_format(fields: dict[str, str]) -> str:
    """The signature of the unversioned message this route accepted before."""
    message = "\n".join([fields["r"], fields["o"].lower(), fields["d"], fields["e"]]).encode()
    return hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()


def malformed(site: Site) -> dict[str, tuple[dict[str, Any], int]]:
    """Requests no link of ours makes, each with the status it must get."""
    query = query_of(site.link())
    fields = dict(parse_qsl(query))

    def changed(**values: str) -> str:
        return urlencode({**fields, **values})

    def without(name: str) -> str:
        return urlencode({k: v for k, v in fields.items() if k != name})

    no_http = {**url_event("GET", query), "requestContext": {"http": None}}
    no_method = {**url_event("GET", query), "requestContext": {"http": {"path": "/snooze"}}}
    cases: dict[str, tuple[dict[str, Any], int]] = {
        "non-ASCII signature (GET)": (url_event("GET", changed(s="é")), 400),
        "non-ASCII signature (POST)": (url_event("POST", body=changed(s="é"), b64=True), 400),
        "%FF in a POST body": (url_event("POST", body=query.replace("d=7", "d=%FF"), b64=True), 400),
        "%FF in the query": (url_event("GET", query.replace("d=7", "d=%FF")), 400),
        "raw non-ASCII in a POST body": (url_event("POST", body=changed().replace("d=7", "d=7é")), 400),
        "requestContext.http null": (no_http, 405),
        "no method": (no_method, 405),
        "PUT": (url_event("PUT", query), 405),
        "HEAD": (url_event("HEAD", query), 405),
        "duplicate field": (url_event("GET", query + "&d=7"), 400),
        "unknown field": (url_event("GET", query + "&utm_source=mail"), 400),
        "empty query": (url_event("GET", ""), 400),
        "empty POST": (url_event("POST", body=""), 400),
        "POST body not text": ({**url_event("POST", body=""), "body": {"d": "7"}}, 400),
        "POST body bad base64": ({**url_event("POST", body=""), "body": "%%%", "isBase64Encoded": True}, 400),
        "query parameters not text": ({**url_event("GET", ""), "queryStringParameters": {"r": ["a"]}}, 400),
        "huge resource": (url_event("GET", changed(r="a" * 100_000)), 414),
        "huge body": (url_event("POST", body=query + "&" + "x" * MAX_BODY), 413),
        "400k fields": (url_event("POST", body="a=1&" * 400_000, b64=True), 413),
        "days changed": (url_event("GET", changed(d="14")), 403),
        "owner changed in case": (url_event("GET", changed(o=OWNER.upper())), 403),
        "resource changed": (url_event("GET", changed(r=arn(site.ids["fresh0"]))), 403),
        "d=07": (url_event("GET", changed(d="07")), 400),
        "d=+7": (url_event("GET", changed(d="+7")), 400),
        "d= 7": (url_event("GET", changed(d=" 7")), 400),
        "full-width d": (url_event("GET", changed(d="\uff17")), 400),
        "e with a leading zero": (url_event("GET", changed(e="0" + fields["e"])), 400),
        "upper-case signature": (url_event("GET", changed(s=fields["s"].upper())), 400),
        "short signature": (url_event("GET", changed(s=fields["s"][:-1])), 400),
        "version 2": (url_event("GET", changed(v="2")), 400),
        "no version (the old format)": (url_event("GET", without("v")), 400),
        "old unversioned signature": (url_event("GET", changed(s=_old_format(fields))), 403),
        "expired": (url_event("GET", query_of(site.link(hours=-1))), 410),
        "expired (POST)": (url_event("POST", body=query_of(site.link(hours=-1)), b64=True), 410),
    }
    for name in snooze.FIELDS:
        cases[f"no {name}"] = (url_event("POST", body=without(name), b64=True), 400)
        cases[f"empty {name}"] = (url_event("GET", changed(**{name: ""})), 400)
    return cases


def test_every_malformed_request_is_a_4xx_page_and_extends_nothing(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    got = {name: call(event)["statusCode"] for name, (event, _) in malformed(site).items()}
    assert got == {name: status for name, (_, status) in malformed(site).items()}
    assert site.rows() == []
    assert "Traceback" not in capsys.readouterr().err, "a traceback was logged"


# -- (5) the public page says only "not found" / "cannot extend now" --------------------------------
def test_refusals_say_only_not_found_or_cannot_extend_now_and_the_details_go_to_the_logs(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = arn("i-0123456789abcdef0")
    nobody = snooze.link(BASE, KEY.encode(), gone, OWNER, 7, datetime.now(UTC), 72)
    cases = {
        "not in the inventory": (nobody, 404, "Not found."),
        "kept (prod)": (site.link("prod"), 409, "Cannot extend now."),
        "not the owner": (site.link(owner="eve@example.com"), 409, "Cannot extend now."),
    }
    for name, (link, status, words) in cases.items():
        answer = call(url_event("POST", body=query_of(link), b64=True))
        assert (answer["statusCode"], words in answer["body"]) == (status, True), name
        assert "inventory" not in answer["body"] and "environment" not in answer["body"], name
        assert "dana@" not in answer["body"], name
    refused = log_lines(capsys.readouterr().err, "snooze_refused")
    assert [line["resource"] for line in refused] == [gone, arn(site.ids["prod"]), arn(site.ids["doomed"])]
    logged = " ".join(line["reason"] for line in refused)
    assert "is not in the inventory" in logged and "environment=prod" in logged and "only the owner" in logged
    assert site.rows() == []


def test_an_unreadable_inventory_is_cannot_extend_now_with_no_kubeconfig_on_the_page(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-kubeconfig"
    section = {"kubernetes": {"enabled": True, "kubeconfig": str(missing)}}
    site = Site(fleet, monkeypatch, **section)
    link = snooze.link(BASE, KEY.encode(), "k8s:pr-1/deployment/web", OWNER, 7, datetime.now(UTC), 72)
    answer = call(url_event("POST", body=query_of(link), b64=True))
    assert answer["statusCode"] == 503 and "Cannot extend now." in answer["body"]
    assert str(missing) not in answer["body"] and "kube" not in answer["body"].lower()
    assert site.rows() == []


# -- (6) headers on every answer --------------------------------------------------------------------
def test_every_answer_carries_no_store_no_referrer_nosniff_csp_and_no_framing(site: Site) -> None:
    link = site.link()
    answers = [
        call(url_event("GET", query_of(link))),  # 200
        call(url_event("DELETE", query_of(link))),  # 405
        call(url_event("GET", "s=%C3%A9")),  # 400
        press(call(url_event("GET", query_of(link)))),  # 303
    ]
    assert [a["statusCode"] for a in answers] == [200, 405, 400, 303]
    assert answers[1]["headers"]["Allow"] == "GET, POST"
    unknown = handler(url_event("GET", path="/no-such-route"), None)
    assert unknown["statusCode"] == 404
    assert {k: unknown["headers"][k] for k in SECURITY_HEADERS} == SECURITY_HEADERS


# -- (7) settings once per cold start; the body only on POST, capped; the form from signed fields ---
def test_settings_and_their_file_references_are_read_once_per_cold_start(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "snooze.key"
    key_file.write_text(KEY + "\n")
    site = Site(fleet, monkeypatch, snooze={"hmac_key": f"file:{key_file}", "base_url": BASE})
    query = query_of(site.link())
    assert call(url_event("GET", query))["statusCode"] == 200
    key_file.unlink()  # a request that read the reference again would now fail
    assert call(url_event("GET", query))["statusCode"] == 200
    config = Path(site.config)
    config.write_text(config.read_text() + "\n")  # a redeploy: the settings file changed, read afresh
    answer = call(url_event("GET", query))
    assert answer["statusCode"] == 503 and "Not configured." in answer["body"]
    assert str(key_file) not in answer["body"]


def test_a_get_never_reads_its_body_and_its_page_holds_only_the_signed_fields(site: Site) -> None:
    query = query_of(site.link())
    huge = "&".join(f"f{i}=%3Cscript%3E" for i in range(400_000))  # 5.5 MB of unsigned fields
    shown = call(url_event("GET", query, body=huge))
    assert shown["statusCode"] == 200 and len(shown["body"]) < 3000
    assert "script" not in shown["body"] and [n for n, _ in form_of(shown["body"])[1]] == list(snooze.FIELDS)
    assert call(url_event("POST", body=huge))["statusCode"] == 413
    assert site.rows() == []


# -- (1) a key shorter than 32 bytes: a configuration error, and the route is not configured --------
@pytest.mark.parametrize("how", ["yaml", "env", "file"])
@pytest.mark.parametrize("key", ["", "k3y-s3cr3t", " " * 40, "k" * 31, "é" * 15])
def test_a_short_key_is_a_configuration_error_naming_the_key_and_the_route_answers_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, key: str
) -> None:
    from jobs.core.errors import ConfigError
    from jobs.core.resolve import load_settings
    from tests.helpers import write_config

    snooze_section: dict[str, str] = {"base_url": BASE}
    if how == "yaml":
        snooze_section["hmac_key"] = key
    elif how == "file":
        (tmp_path / "key").write_text(key + "\n")  # a file holding only a newline reads as ""
        snooze_section["hmac_key"] = f"file:{tmp_path / 'key'}"
    else:
        monkeypatch.setenv("SECOPS_TTL_TEARDOWN__SNOOZE__HMAC_KEY", key)
    settings = {"state_db_url": f"sqlite:///{tmp_path}/s.db", "ttl_teardown": {"snooze": snooze_section}}
    monkeypatch.setenv("SECOPS_CONFIG", write_config(tmp_path / "c.yaml", settings))
    with pytest.raises(ConfigError) as refused:
        load_settings()
    [problem] = refused.value.problems
    assert problem.startswith("ttl_teardown.snooze.hmac_key") and "at least 32 bytes" in problem
    assert "secrets.token_urlsafe" in problem and (key.strip() == "" or key not in problem)
    link = snooze.link(
        BASE, key.encode(), arn("i-0123456789abcdef0"), OWNER, 7, datetime.now(UTC), 72
    )  # signed with it
    for event in (url_event("GET", query_of(link)), url_event("POST", body=query_of(link), b64=True)):
        answer = call(event)
        assert answer["statusCode"] == 503 and "Not configured." in answer["body"]
    assert not (tmp_path / "s.db").exists()  # nothing was read or written for it
