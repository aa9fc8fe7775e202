"""Suppressions: active ones hide a finding, expired ones bring it back saying so, a different
secret on a suppressed line is new; malformed entries are errors naming file and entry, and
never suppress. A hypothesis property: parsing never crashes and never suppresses a
fingerprint that was not written exactly."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core.model import RunError
from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import RepoScan, ScanTarget
from jobs.repo_scanner.plan import Policy, build_plan
from jobs.repo_scanner.scanners.secrets.match import Match, hit_from_match
from jobs.repo_scanner.suppress import parse, repository
from tests.repo_scanner.running import config, git_repo, package_lock, scan

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
FP = "0123456789abcdef" * 4


def secret_scan(*secrets: str) -> RepoScan:
    item = RepoScan(ScanTarget("app", path="/src/app"))
    for value in secrets:
        match = Match("generic-password", "password assigned in config", "secret:generic", 4, value)
        item.hits.append(hit_from_match(match, "config/app.ini", Fingerprinter()))
    return item


def test_a_different_secret_on_a_suppressed_line_is_a_new_finding() -> None:
    old, new = "Zq8#mV2!pL9w", "Rt5$kN7@xB3y"
    accepted = secret_scan(old).hits[0].fingerprint
    text = yaml.safe_dump([{"fingerprint": accepted, "reason": "rotated", "owner": "ana", "expires": "2027-01-01"}])
    errors: list[RunError] = []
    policy = Policy(suppressions=tuple(parse(text, "s.yaml", errors, "suppressions")))
    plan = build_plan([secret_scan(old, new)], NOW, policy)
    assert errors == [] and plan.summary["suppressed"] == 1
    (left,) = plan.findings
    assert left.resource == "repo:app:config/app.ini:4" and left.details["fingerprint"] != accepted


def test_an_expired_suppression_reports_the_finding_again_with_its_expiry() -> None:
    item = secret_scan("Zq8#mV2!pL9w")
    text = f"suppressions:\n  - fingerprint: {item.hits[0].fingerprint}\n    reason: test key\n    owner: ana\n    expires: 2026-11-30\n"
    errors: list[RunError] = []
    plan = build_plan([item], NOW, Policy(suppressions=tuple(parse(text, "s.yaml", errors, "suppressions"))))
    (back,) = plan.findings
    assert back.message == "password assigned in config (suppression by ana expired 2026-11-30)"
    assert back.details["suppression_expired"] == {"expires": "2026-11-30", "owner": "ana", "reason": "test key"}


def test_malformed_entries_are_errors_naming_file_and_entry_and_are_not_applied() -> None:
    text = f"""
- {{fingerprint: {FP}, reason: ok, owner: ana, expires: 2027-01-01}}
- {{fingerprint: {FP}, reason: again, owner: bob}}
- {{fingerprint: {FP.upper()}, reason: r, owner: o}}
- {{fingerprint: {"a1" * 32}, owner: o}}
- {{fingerprint: {"b2" * 32}, reason: r, owner: o, expires: "2027-02-30"}}
- {{fingerprint: {"c3" * 32}, reason: r, owner: o, expires: "31.12.2027"}}
- {{fingerprint: {"d4" * 32}, reason: r, owner: o, expires: 2027-01-01T00:00:00}}
- {{fingerprint: {"e5" * 32}, reason: r, owner: o, until: 2027-01-01}}
- {{fingerprint: {"1" * 64}, reason: r, owner: o}}
- just a string
"""
    errors: list[RunError] = []
    kept = parse(text, "repo:app:.secops-ignore.yaml", errors, "suppressions:app")
    assert [(s.fingerprint, s.reason, s.owner, s.expires, s.source) for s in kept] == [
        (FP, "ok", "ana", "2027-01-01", "repo:app:.secops-ignore.yaml")
    ]
    assert [e.message for e in errors] == [
        f"repo:app:.secops-ignore.yaml: entry {n}: {why}: not applied"
        for n, why in [
            (2, "the same fingerprint as entry 1"),
            (3, "fingerprint is not 64 lower-case hex digits (as the run's findings show it)"),
            (4, "missing or empty reason"),
            (5, "expires '2027-02-30' is not a date"),
            (6, "expires is not a date (YYYY-MM-DD)"),
            (7, "expires must be a date (YYYY-MM-DD), not a timestamp"),
            (8, "unknown key(s) 'until'"),
            (9, "fingerprint must be text (quote it)"),
            (10, "not a mapping of fingerprint, reason, owner, expires"),
        ]
    ]
    assert {e.source for e in errors} == {"suppressions:app"}


def test_a_file_that_is_not_yaml_is_one_error_and_suppresses_nothing(tmp_path: Path) -> None:
    (tmp_path / ".secops-ignore.yaml").write_text("- fingerprint: [unclosed\n")
    errors: list[RunError] = []
    assert repository(tmp_path, errors, "app") == []
    assert [(e.source, e.message) for e in errors] == [
        (
            "suppressions:app",
            "repo:app:.secops-ignore.yaml: line 2, column 1: not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at line 1, column 16): no suppression applied",
        )
    ]


def test_the_repository_file_and_a_configured_file_suppress_through_the_cli(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "app", {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only", "agpl": "AGPL-3.0-only"})}
    )
    first = scan(config(tmp_path), "--repo", str(repo))
    fps = {f["details"]["rule"]: f["details"]["fingerprint"] for f in first["findings"]}
    (repo / ".secops-ignore.yaml").write_text(
        yaml.safe_dump(
            [{"fingerprint": fps["GPL-3.0-only"], "reason": "legal ok", "owner": "ana", "expires": "2099-01-01"}]
        )
    )
    shared = tmp_path / "shared-ignore.yaml"
    shared.write_text(
        yaml.safe_dump(
            {"suppressions": [{"fingerprint": fps["AGPL-3.0-only"], "reason": "internal only", "owner": "bob"}]}
        )
    )
    result = scan(config(tmp_path, suppressions=[str(shared)]), "--repo", str(repo), "--fail-on", "info")
    assert (result["exit_code"], result["findings"], result["summary"]["suppressed"]) == (0, [], 2)
    missing = scan(config(tmp_path, suppressions=[str(tmp_path / "absent.yaml")]), "--repo", str(repo))
    assert missing["exit_code"] == 2


LOWER = st.text("0123456789abcdef", min_size=64, max_size=64)
MIXED = st.text("0123456789abcdefABCDEF", min_size=60, max_size=68)
FINGERPRINTS = st.one_of(
    LOWER,  # valid: kept, exactly as written
    LOWER.map(str.upper),
    LOWER.map(lambda h: f" {h} "),
    LOWER.map(lambda h: h + "\n"),
    LOWER.map(lambda h: h[:-1] + "\u0435"),  # a Cyrillic e, not hex
    MIXED,
    st.just(FP),
    st.text(min_size=0, max_size=80),
    st.integers(),
    st.none(),
)
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.none(),
    st.dates().map(str),
    st.dates(),
    st.lists(st.text(max_size=5), max_size=2),
)
VALID = st.fixed_dictionaries(
    {
        "fingerprint": FINGERPRINTS,
        "reason": st.text(min_size=1, max_size=20),
        "owner": st.text(min_size=1, max_size=20),
    },
    optional={"expires": st.one_of(st.dates(), st.dates().map(str), st.text(max_size=12), st.datetimes())},
)
NOISE = st.dictionaries(
    st.sampled_from(["Fingerprint", "extra", " reason", "reason", "owner", "expires"]), VALUES, max_size=2
)
ENTRY = st.one_of(
    VALID,
    st.tuples(VALID, NOISE).map(lambda t: {**t[0], **t[1]}),
    st.dictionaries(st.text(max_size=12), VALUES, max_size=4),
    VALUES,
)
DOCUMENTS = st.one_of(
    st.lists(ENTRY, max_size=6),
    st.lists(ENTRY, max_size=6).map(lambda items: {"suppressions": items}),
    st.dictionaries(st.text(max_size=8), st.lists(ENTRY, max_size=2), max_size=2),
)


@settings(max_examples=120, deadline=None)
@given(DOCUMENTS, st.sampled_from(["yaml", "flow", "mangled"]), st.data())
def test_parsing_never_crashes_and_never_suppresses_what_was_not_written_exactly(
    doc: object, form: str, data: st.DataObject
) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=form == "flow")
    if form == "mangled":
        cut = data.draw(st.integers(0, len(text)))
        text = text[:cut] + data.draw(st.text(string.printable + "\u00e9\u2028\x00", max_size=8)) + text[cut:]
    errors: list[RunError] = []
    kept = parse(text, "s.yaml", errors, "suppressions")
    items = doc["suppressions"] if isinstance(doc, dict) and set(doc) == {"suppressions"} else doc
    listed = isinstance(items, list) and form != "mangled"
    written = [e.get("fingerprint") for e in items if isinstance(e, dict)] if listed else None
    for entry in kept:
        assert len(entry.fingerprint) == 64 and set(entry.fingerprint) <= set("0123456789abcdef")
        assert entry.fingerprint in text  # verbatim in the file
        if written is not None:
            assert entry.fingerprint in written  # exactly as one entry wrote it
    assert len({e.fingerprint for e in kept}) == len(kept)


def test_an_impossible_unquoted_date_is_an_error_not_a_crash() -> None:
    errors: list[RunError] = []
    assert parse(f"- {{fingerprint: {FP}, reason: r, owner: o, expires: 2027-02-30}}\n", "s.yaml", errors, "x") == []
    assert [e.message for e in errors] == [
        "s.yaml: line 1, column 113: not valid YAML: not a date or time: day is out of range for month: "
        "no suppression applied"
    ]


def test_a_suppressed_secret_replaced_on_the_same_line_is_reported_through_the_cli(tmp_path: Path) -> None:
    line = "DATABASE_URL=postgres://app:{}@db.internal:5432/app\n"
    repo = git_repo(tmp_path / "app", {"config.env": line.format("Vq7pLm2xRt9Kw")})
    (fp,) = [f["details"]["fingerprint"] for f in scan(config(tmp_path), "--repo", str(repo))["findings"]]
    entry = {"fingerprint": fp, "reason": "test database", "owner": "ana", "expires": "2099-12-31"}
    (repo / ".secops-ignore.yaml").write_text(yaml.safe_dump([entry]))
    quiet = scan(config(tmp_path), "--repo", str(repo), "--fail-on", "info")
    assert (quiet["exit_code"], quiet["findings"], quiet["summary"]["suppressed"]) == (0, [], 1)
    (repo / "config.env").write_text(line.format("Zt4nWq8rLp2Xc"))
    loud = scan(config(tmp_path), "--repo", str(repo), "--fail-on", "warning")
    assert loud["exit_code"] == 4 and [f["resource"] for f in loud["findings"]] == ["repo:app:config.env:1"]
    entry["expires"] = "2026-01-01"
    (repo / ".secops-ignore.yaml").write_text(
        yaml.safe_dump([{**entry, "fingerprint": loud["findings"][0]["details"]["fingerprint"]}])
    )
    expired = scan(config(tmp_path), "--repo", str(repo), "--now", "2026-12-01T03:00:00Z")
    assert expired["findings"][0]["message"].endswith("(suppression by ana expired 2026-01-01)")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["fingerprint", "reason", "owner", "expires"]),
    st.one_of(LOWER, st.text(max_size=20), st.just(FP)),
    st.booleans(),
)
def test_a_key_written_twice_applies_no_suppression_of_the_file(key: str, value: str, first: bool) -> None:
    """Which of two `fingerprint:` lines counts is a YAML library's choice (PyYAML: the last);
    neither may suppress: the whole file is refused, naming the duplicate (the safe reading)."""
    entry = {"fingerprint": FP, "reason": "test fixture", "owner": "ana", "expires": "2099-12-31"}
    lines = [f"  {k}: {json.dumps(v)}" for k, v in entry.items()]
    twice = f"  {key}: {json.dumps(value)}"
    lines.insert(0 if first else len(lines), twice)
    other = {"fingerprint": "c" * 64, "reason": "r", "owner": "o"}
    text = "- " + "\n".join(lines)[2:] + "\n" + yaml.safe_dump([other])
    errors: list[RunError] = []
    assert parse(text, "s.yaml", errors, "suppressions") == []
    assert len(errors) == 1 and f"duplicate key '{key}'" in errors[0].message
