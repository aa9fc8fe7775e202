"""Properties of the range matcher (against packaging's own ordering), of the lockfile
parsers on garbage (a problem, never an exception) and of the CVSS v3 calculator (against
the `cvss` package's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cvss import CVSS3  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from jobs.repo_scanner.scanners.dependencies.component import normalize
from jobs.repo_scanner.scanners.dependencies.cvss import v3_base
from jobs.repo_scanner.scanners.dependencies.lockfiles import LOCKFILES, read
from jobs.repo_scanner.scanners.dependencies.ranges import affects, in_range
from tests.repo_scanner.dependencies.helpers import SAMPLES


@st.composite
def pep440(draw: st.DrawFn) -> str:
    """PEP 440 versions with the spellings packaging normalizes: upper case, `v`, spaces."""
    release = ".".join(str(n) for n in draw(st.lists(st.integers(0, 12), min_size=1, max_size=4)))
    pre = draw(st.sampled_from(["", "a", "b", "rc", "RC", "alpha", "c", "-preview"]))
    text = release + (f"{pre}{draw(st.integers(0, 3))}" if pre else "")
    text += draw(st.sampled_from(["", ".post1", "-2", ".dev0", ".post0.dev3", "+local.7"]))
    return draw(st.sampled_from(["", "v", "V", " "])) + text + draw(st.sampled_from(["", " "]))


def shuffled(draw: st.DrawFn, events: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return draw(st.permutations(events))


@settings(max_examples=200, deadline=None)
@given(st.data(), pep440(), pep440())
def test_a_version_from_introduced_up_to_fixed_is_affected_and_from_fixed_on_not(
    data: st.DataObject, a: str, b: str
) -> None:
    low, high = sorted([a, b], key=Version)
    v = data.draw(st.one_of(pep440(), st.just(low), st.just(high)))
    events = shuffled(data.draw, [("introduced", low), ("fixed", high)])
    verdict = in_range(v, events, Version)
    from_low = low == "0" or Version(low) <= Version(v)  # introduced "0": OSV's "from the start"
    assert verdict.affected == (from_low and Version(v) < Version(high))
    assert verdict.fixed == (high if verdict.affected else None)


@settings(max_examples=150, deadline=None)
@given(st.data(), pep440(), pep440())
def test_last_affected_is_itself_affected_and_what_follows_is_not(data: st.DataObject, a: str, b: str) -> None:
    low, high = sorted([a, b], key=Version)
    v = data.draw(st.one_of(pep440(), st.just(low), st.just(high)))
    events = shuffled(data.draw, [("introduced", low), ("last_affected", high)])
    from_low = low == "0" or Version(low) <= Version(v)
    assert in_range(v, events, Version).affected == (from_low and Version(v) <= Version(high))


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(pep440(), min_size=1, max_size=6))
def test_introduced_zero_and_several_intervals_follow_packaging_order(data: st.DataObject, bounds: list[str]) -> None:
    """introduced 0, fixed b1, introduced b2, fixed b3, ...: affected exactly in the intervals."""
    ordered = sorted({b for b in bounds if b != "0"}, key=Version)  # "0" introduced: OSV's "from the start"
    if len({Version(b) for b in ordered}) != len(ordered):
        return  # two spellings of one version: not a well-formed range
    kinds = ["fixed", "introduced"] * len(ordered)
    events = [("introduced", "0"), *zip(kinds, ordered, strict=False)]
    if not ordered:
        return
    v = data.draw(st.one_of(pep440(), st.sampled_from(ordered)))
    passed = [kind for kind, bound in events[1:] if Version(bound) <= Version(v)]
    expected = not passed or passed[-1] == "introduced"
    entry = {"ranges": [{"type": "ECOSYSTEM", "events": [{k: b} for k, b in shuffled(data.draw, events)]}]}
    assert affects("PyPI", v, entry).affected == expected


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
    st.booleans(),
)
def test_npm_and_go_versions_compare_as_semver(a: tuple[int, int, int], v: tuple[int, int, int], go: bool) -> None:
    """fixed a: v is affected iff v < a, a's prerelease (a-rc.1) sorting before a itself."""
    prefix = "v" if go else ""
    spelled = ".".join(map(str, a))
    entry = {"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": spelled}]}]}
    ecosystem = "Go" if go else "npm"
    assert affects(ecosystem, prefix + ".".join(map(str, v)), entry).affected == (v < a)
    assert affects(ecosystem, f"{prefix}{spelled}-rc.1", entry).affected


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    return st.recursive(
        leaves, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4), max_leaves=20
    )


ADVERSARIAL = [
    "",
    "\x00\x01\x02",
    "\ufeff{}",
    "[" * 20_000,
    '{"packages": {"node_modules/a": [1]}}',
    '{"dependencies": {"a": {"dependencies": 3}}, "lockfileVersion": 1}',
    '{"default": {"a": "==1"}}',
    "[[package]]\nname = 3\nversion = 4\n",
    "package = 1\n",
    "a:\n  version\n",
    "x" * 50_000,
    'ä ö ü\n€:\n  version "1"\n',
]


@st.composite
def garbage(draw: st.DrawFn) -> str:
    sample = draw(st.sampled_from(sorted(p for p in SAMPLES.rglob("*") if p.is_file()))).read_text()
    cut = draw(st.integers(0, len(sample)))
    return draw(
        st.one_of(
            st.text(),
            st.sampled_from(ADVERSARIAL),
            _json_values().map(json.dumps),
            st.just(sample[:cut]),  # a lockfile cut short
            st.text(max_size=20).map(lambda noise: sample[:cut] + noise + sample[cut:]),
        )
    )


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(LOCKFILES)), garbage())
def test_a_parser_given_garbage_reports_a_problem_and_never_raises(pattern: str, text: str) -> None:
    name = pattern.replace("*", "-x")
    parsed = read(LOCKFILES[pattern], text, name)
    assert all(isinstance(p, str) and p for p in parsed.problems)
    assert all(c.path == name and c.name and c.version for c in parsed.components)


METRICS = {"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN", "A": "HLN"}


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({k: st.sampled_from(list(v)) for k, v in METRICS.items()}), st.sampled_from(["3.0", "3.1"])
)
def test_the_cvss3_base_score_is_the_reference_implementations(values: dict[str, str], version: str) -> None:
    vector = f"CVSS:{version}/" + "/".join(f"{k}:{v}" for k, v in values.items())
    assert v3_base(vector) == float(CVSS3(vector).base_score)


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
@pytest.mark.parametrize("pattern", sorted(LOCKFILES))
def test_every_parser_survives_every_adversarial_input(pattern: str, text: str) -> None:
    """The generator's adversarial cases against every parser, each one surely tried."""
    read(LOCKFILES[pattern], text, pattern.replace("*", "-x"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.sampled_from("abcXYZ019"), min_size=1, max_size=5), min_size=1, max_size=4),
    st.lists(st.sampled_from(["-", "_", ".", "--", "_.", "-_-"]), min_size=3, max_size=3),
)
def test_pypi_names_meet_their_advisories_in_every_spelling(parts: list[str], seps: list[str]) -> None:
    """`Foo_Bar`, `foo.bar`, `FOO--bar` are one project (PEP 503), as packaging says."""
    name = "".join(p + seps[i % len(seps)] for i, p in enumerate(parts[:-1])) + parts[-1]
    assert normalize("PyPI", name) == canonicalize_name(name) == normalize("PyPI", name.upper())
