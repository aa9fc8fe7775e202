"""Each lockfile format as its tool writes it → exactly its packages, versions and lines."""

from __future__ import annotations

import pytest

from jobs.repo_scanner.scanners.dependencies.lockfiles import parser_for, read
from tests.repo_scanner.dependencies.helpers import SAMPLES

EXPECTED = {
    "requirements.txt": ([("certifi", "2023.7.22", 7), ("Django", "4.2.1", 11), ("requests", "2.31.0", 13)], 5),
    "poetry.lock": ([("jinja2", "3.1.2", 4), ("markupsafe", "2.1.3", 21)], 0),
    "uv.lock": ([("idna", "3.6", 5)], 0),
    "Pipfile.lock": ([("urllib3", "1.26.5", 19), ("pytest", "7.4.0", 33)], 1),
    "web/package-lock.json": (
        [("@babel/core", "7.22.5", 16), ("lodash", "4.17.20", 22), ("minimist", "0.0.8", 32)],
        0,
    ),
    "legacy/package-lock.json": ([("minimist", "1.2.0", 7), ("mkdirp", "0.5.1", 12), ("minimist", "0.0.8", 17)], 0),
    "classic/yarn.lock": ([("@babel/code-frame", "7.22.5", 5), ("lodash", "4.17.20", 12)], 0),
    "berry/yarn.lock": ([("lodash", "4.17.20", 17), ("resolve", "1.22.2", 24)], 0),
    "gosvc/go.sum": (
        [
            ("github.com/gin-gonic/gin", "v1.9.0", 1),
            ("golang.org/x/net", "v0.7.0", 3),
            ("golang.org/x/text", "v0.3.0", 5),
        ],
        0,
    ),
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_a_lockfile_yields_exactly_its_pinned_packages(path: str) -> None:
    parser = parser_for(path)
    assert parser is not None
    parsed = read(parser, (SAMPLES / path).read_text(), path)
    components, unpinned = EXPECTED[path]
    assert [(c.name, c.version, c.line) for c in parsed.components] == components
    assert parsed.unpinned == unpinned
    assert parsed.problems == []
    assert {c.path for c in parsed.components} == {path}


def test_only_a_requirements_file_with_a_bad_line_names_that_line() -> None:
    parser = parser_for("requirements-dev.txt")
    assert parser is not None
    parsed = read(
        parser, "pytest==8.0.0\nthis is not ( a requirement\nruff==0.6.1 --hash=sha256:abc\n", "requirements-dev.txt"
    )
    assert [(c.name, c.version, c.line) for c in parsed.components] == [("pytest", "8.0.0", 1), ("ruff", "0.6.1", 3)]
    assert [p.split(" (")[0] for p in parsed.problems] == ["line 2: not a requirement"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", "parse_requirements"),
        ("requirements/prod.txt", "parse_requirements"),
        ("requirements-dev.txt", "parse_requirements"),
        ("app/poetry.lock", "parse_toml_lock"),
        ("yarn.lock", "parse_yarn_lock"),
        ("node_modules/x/package-lock.json", None),
        ("vendor/github.com/x/go.sum", None),
        ("Requirements.txt", None),
        ("package.json", None),
        ("notes.txt", None),
    ],
)
def test_which_files_are_lockfiles(path: str, kind: str | None) -> None:
    parser = parser_for(path)
    assert (parser.__name__ if parser else None) == kind
