"""Properties of what the sast adapter makes of semgrep's report: rule ids given back as the
rule files wrote them whatever folder prefix semgrep puts before them, and fingerprints that
depend on the matched code but not on its indentation or line breaks."""

from __future__ import annotations

from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jobs.repo_scanner.scanners.sast.results import Sources, rule_of

SEGMENT = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789_-"), min_size=1, max_size=8)
#: ids with dots too (`python.lang.eval`): then a shorter declared id (`eval`) is a dotted suffix
RULE_ID = st.builds(
    lambda sep, parts: sep.join(parts), st.sampled_from(["-", "."]), st.lists(SEGMENT, min_size=1, max_size=4)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(SEGMENT, max_size=6), RULE_ID, st.lists(RULE_ID, max_size=5))
def test_a_rule_id_comes_back_without_semgreps_folder_prefix(prefix: list[str], rule: str, others: list[str]) -> None:
    """Other declared ids, suffixes of ours (`eval` beside `python-eval`) included, never win."""
    check_id = ".".join([*prefix, rule])
    # a declared `a.b` and a rule `b` under folder `a` are one check_id: the longer is taken
    assume(not any(len(o) > len(rule) and (check_id == o or check_id.endswith("." + o)) for o in others))
    ids = {rule, rule.split(".")[-1], rule.split("-")[-1], *others}
    assert rule_of(check_id, ids) == rule


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(str.strip),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.sampled_from([" ", "  ", "\t", " \t "]), min_size=6, max_size=6),
)
def test_matched_code_is_compared_with_whitespace_collapsed(
    tmp_path_factory, words: list[str], gaps: list[str]
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("code")
    tokens = [w.split()[0] for w in words]  # one token each: spaces are what varies
    plain = " ".join(tokens)
    spaced = gaps[0] + "".join(t + gaps[i % len(gaps)] for i, t in enumerate(tokens))
    Path(root, "a.py").write_text(f"x\n{plain}\n", encoding="utf-8")
    Path(root, "b.py").write_text(f"{spaced}\n", encoding="utf-8")
    sources = Sources(root)
    assert sources.code("a.py", 2, 2) == sources.code("b.py", 1, 1) == plain
