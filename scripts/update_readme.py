"""Rewrite the settings reference in README.md from the settings models (`make docs`)."""

from __future__ import annotations

from pathlib import Path

from jobs.core.settings_doc import END, START, reference

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{reference()}{END}{tail}")


if __name__ == "__main__":
    main()
