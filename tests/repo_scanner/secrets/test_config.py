"""Rule files: ours, the operator's (replace, extend, add), a repository's (add only), and errors
that name the file and the rule."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from jobs.core.errors import ConfigError
from jobs.repo_scanner.scanners.secrets.engine import Engine
from jobs.repo_scanner.scanners.secrets.loading import SHIPPED
from jobs.repo_scanner.settings import SecretsScannerSettings
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import found

INTERNAL_RULE = """
[[rules]]
id = "acme-internal-token"
description = "ACME internal token"
regex = '''\\b(acme_[a-z0-9]{32})\\b'''
keywords = ["acme_"]
tags = ["secret:key"]
"""


def acme_token(rng: random.Random) -> str:
    return "acme_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def load(tmp_path: Path, **settings: object) -> Engine:
    return Engine.load(SecretsScannerSettings.model_validate(settings))


def test_the_shipped_rules_are_package_data_and_linked_from_config() -> None:
    assert SHIPPED.is_file()
    link = Path(__file__).parents[3] / "config" / "secret-rules.toml"
    assert link.is_symlink() and not Path(link.readlink()).is_absolute()
    assert link.resolve() == SHIPPED


def test_an_operator_rules_file_replaces_ours(tmp_path: Path, rng: random.Random) -> None:
    engine = load(tmp_path, rules=write(tmp_path / "mine.toml", INTERNAL_RULE))
    text = f"a = {acme_token(rng)}\nb = {samples.github_token(rng)}\n"
    assert found(engine, "x.txt", text) == [("acme-internal-token", 1)]


def test_extend_use_default_builds_on_ours_and_disabled_rules_drop(tmp_path: Path, rng: random.Random) -> None:
    rules = '[extend]\nuseDefault = true\ndisabledRules = ["npm-token"]\n' + INTERNAL_RULE
    engine = load(tmp_path, rules=write(tmp_path / ".gitleaks.toml", rules))
    text = f"a = {acme_token(rng)}\nb = {samples.github_token(rng)}\nc = {samples.npm_token(rng)}\n"
    assert found(engine, "x.txt", text) == [("acme-internal-token", 1), ("github-token", 2)]


def test_extend_path_is_relative_to_the_extending_file(tmp_path: Path, rng: random.Random) -> None:
    write(tmp_path / "base" / "acme.toml", INTERNAL_RULE)
    top = write(tmp_path / "top.toml", '[extend]\npath = "base/acme.toml"\n')
    assert found(load(tmp_path, rules=top), "x", f"t = {acme_token(rng)}\n") == [("acme-internal-token", 1)]


def test_extra_rules_are_added_to_ours(tmp_path: Path, rng: random.Random) -> None:
    engine = load(tmp_path, extra_rules=[write(tmp_path / "acme.toml", INTERNAL_RULE)])
    text = f"a = {acme_token(rng)}\nb = {samples.github_token(rng)}\n"
    assert found(engine, "x.txt", text) == [("acme-internal-token", 1), ("github-token", 2)]


def test_a_rule_with_the_same_id_in_an_extension_overrides_fields(tmp_path: Path, rng: random.Random) -> None:
    stricter = "[[rules]]\nid = \"github-token\"\npath = '''^src/'''\n"
    engine = load(tmp_path, extra_rules=[write(tmp_path / "x.toml", stricter)])
    token = samples.github_token(rng)
    assert found(engine, "docs/a.md", token) == []
    assert found(engine, "src/a.py", token) == [("github-token", 1)]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[[rules]\nid = 'x'", "not valid TOML"),
        ("[[rules]]\nid = 'look-behind'\nregex = '''(?<=key)abc'''\n", "rule look-behind: regex: RE2 refuses"),
        ("[[rules]]\nid = 'backref'\nregex = '''(a)\\1'''\n", "rule backref: regex: RE2 refuses"),
        ("[[rules]]\ndescription = 'no id'\nregex = 'x'\n", "rules[0] has no id"),
        ("[[rules]]\nid = 'g'\nregex = '(a)'\nsecretGroup = 3\n", "rule g: secretGroup 3"),
        ("[[rules]]\nid = 'k'\nregex = 'a'\nkeywords = 'a'\n", "rule k: keywords must be a list"),
        (
            "[[rules]]\nid = 'c'\nregex = 'a'\n[[rules.allowlists]]\ncondition = 'xor'\nregexes = ['b']\n",
            "rule c: allowlists[0]: condition",
        ),
        (
            "[[rules]]\nid = 't'\nregex = 'a'\n[[rules.allowlists]]\nregexTarget = 'file'\nregexes = ['b']\n",
            "regexTarget",
        ),
        (
            "[[rules]]\nid = 'p'\nregex = 'a'\n[[allowlists]]\npaths = ['''(?i''']\n",
            "allowlists[0]: paths: RE2 refuses",
        ),
        ("[[rules]]\nid = 'd'\nregex = 'a'\n[[rules]]\nid = 'd'\nregex = 'b'\n", "rule d is defined twice"),
        ("[[rules]]\nid = 'n'\n", "rule n: needs a regex or a path"),
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\n[[allowlists]]\ntargetRules = ['zz']\nregexes = ['b']\n",
            "targetRules: no rule zz",
        ),
    ],
)
def test_a_bad_rules_file_is_a_config_error_naming_the_file_and_rule(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path / f"bad-{abs(hash(text))}.toml", text)
    with pytest.raises(ConfigError) as error:
        load(tmp_path, rules=path)
    assert path in str(error.value) or "targetRules" in named
    assert named in str(error.value)


def test_a_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read"):
        load(tmp_path, rules=str(tmp_path / "nowhere.toml"))


def test_a_repository_gitleaks_toml_adds_rules(tmp_path: Path, rng: random.Random) -> None:
    root = tmp_path / "repo"
    write(root / ".gitleaks.toml", INTERNAL_RULE)
    engine = Engine.load(SecretsScannerSettings(), root)
    text = f"a = {acme_token(rng)}\nb = {samples.github_token(rng)}\n"
    assert found(engine, "x.txt", text) == [("acme-internal-token", 1), ("github-token", 2)]


def test_a_repository_gitleaks_toml_never_silences_our_rules(tmp_path: Path, rng: random.Random) -> None:
    root = tmp_path / "repo"
    silencer = """
[extend]
disabledRules = ["github-token", "generic-password"]

[[rules]]
id = "github-token"
regex = '''nothing-matches-this'''

[[rules.allowlists]]
paths = ['''.*''']

[[allowlists]]
description = "everything"
paths = ['''.*''']
regexes = ['''.*''']

[[allowlists]]
targetRules = ["generic-password"]
regexes = ['''.*''']
"""
    write(root / ".gitleaks.toml", silencer)
    engine = Engine.load(SecretsScannerSettings(), root)
    text = f"a = {samples.github_token(rng)}\npassword = {samples.password(rng)}\n"
    assert found(engine, "x.txt", text) == [("github-token", 1), ("generic-password-config", 2)]
    assert any("github-token ignored" in note for note in engine.notes)
    assert any("[extend] ignored" in note for note in engine.notes)


def test_allowlist_conditions_targets_and_stopwords(tmp_path: Path, rng: random.Random) -> None:
    rules = (
        INTERNAL_RULE
        + """
[[rules.allowlists]]
description = "fixtures, only when marked"
condition = "AND"
paths = ['''^fixtures/''']
regexTarget = "line"
regexes = ['''FIXTURE''']

[[rules.allowlists]]
stopwords = ["deadbeef"]

[[allowlists]]
targetRules = ["acme-internal-token"]
regexTarget = "match"
regexes = ['''^acme_0''']
"""
    )
    engine = load(tmp_path, rules=write(tmp_path / "r.toml", rules))
    token = acme_token(rng).replace("acme_0", "acme_1")
    assert found(engine, "fixtures/a.txt", f"x = {token} # FIXTURE\n") == []
    assert found(engine, "fixtures/a.txt", f"x = {token}\n") == [("acme-internal-token", 1)]
    assert found(engine, "src/a.txt", f"x = {token} # FIXTURE\n") == [("acme-internal-token", 1)]
    assert found(engine, "src/a.txt", "x = acme_" + "deadbeef" + token[13:] + "\n") == []
    assert found(engine, "src/a.txt", "x = acme_0" + token[6:] + "\n") == []


def test_a_path_only_rule_reports_the_file(tmp_path: Path) -> None:
    rules = "[[rules]]\nid = \"keystore\"\ndescription = \"a Java keystore\"\npath = '''\\.jks$'''\n"
    engine = load(tmp_path, rules=write(tmp_path / "r.toml", rules))
    assert found(engine, "conf/app.jks", "anything") == [("keystore", 1)]
    assert found(engine, "conf/app.txt", "anything") == []


def test_engines_are_cached_per_configuration(tmp_path: Path) -> None:
    path = write(tmp_path / "r.toml", INTERNAL_RULE)
    first = load(tmp_path, rules=path)
    assert load(tmp_path, rules=path) is first
    write(tmp_path / "r.toml", INTERNAL_RULE.replace("ACME internal", "ACME"))
    assert load(tmp_path, rules=path) is not first


def test_a_broken_repository_file_never_raises_and_ours_still_run(tmp_path: Path, rng: random.Random) -> None:
    root = tmp_path / "repo"
    write(root / ".gitleaks.toml", "[[rules]]\nid = 'x'\nregex = '''(?<=a)b'''\n")
    engine = Engine.load(SecretsScannerSettings(), root)
    assert len(engine.problems) == 1
    assert (
        engine.problems[0]
        == ".gitleaks.toml: rule x: regex: RE2 refuses the regex (7 characters): invalid perl operator"
    )
    assert found(engine, "a.py", f"t = '{samples.github_token(rng)}'\n") == [("github-token", 1)]
    assert Engine.load(SecretsScannerSettings()).problems == ()


@pytest.mark.parametrize("broken", ["(", "[", "**", "\\k"])
def test_a_pasted_secret_in_a_bad_regex_never_reaches_a_message(tmp_path: Path, broken: str) -> None:
    """The common habit: a repository allowlists its own password by pasting it as a regex; a
    password with `(`, `[`, `*` or a backslash does not compile, and RE2 quotes the pattern."""
    secret = "XOL6OpmFfj" + broken + "0aUHAIcAWp"
    root = tmp_path / "repo"
    allow = "[[rules]]\nid = 'x'\nregex = 'abc'\n[[allowlists]]\nregexes = ['''" + secret + "''']\n"
    write(root / ".gitleaks.toml", allow)
    problems = " ".join(Engine.load(SecretsScannerSettings(), root).problems)
    assert "RE2 refuses the regex" in problems and "XOL6OpmF" not in problems and "0aUHAIcA" not in problems
    own = write(tmp_path / "own.toml", allow)
    with pytest.raises(ConfigError) as refused:
        Engine.load(SecretsScannerSettings(rules=own))
    assert "RE2 refuses the regex" in str(refused.value) and "XOL6OpmF" not in str(refused.value)


def test_a_repository_rule_that_claims_to_be_a_key_is_generic(tmp_path: Path, rng: random.Random) -> None:
    """Anyone who can push chooses a repository's rules: they may find (a warning), never page."""
    root = tmp_path / "repo"
    write(root / ".gitleaks.toml", INTERNAL_RULE)  # tags = ["secret:key"]
    engine = Engine.load(SecretsScannerSettings(), root)
    [match] = engine.scan_text("x.txt", f"a = {acme_token(rng)}\n")
    assert (match.rule, match.category) == ("acme-internal-token", "secret:generic")
    assert any("secret:key ignored" in note for note in engine.notes)
