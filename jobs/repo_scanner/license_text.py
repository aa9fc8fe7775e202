"""Which license a repository's own LICENSE/COPYING file is, from its text. Pure.

Identified by phrases every copy of the license keeps (its title and version line, or the
grant sentence of the short permissive ones), compared case- and whitespace-insensitively,
so reflowed or re-capitalised copies are still recognised. The GNU family is told apart by
the title at the top, since the GPLv3 text itself mentions the Affero license. A text matching
nothing is `unknown` (a proprietary notice, a custom license), never a guess.
"""

from __future__ import annotations

import re
from typing import Final

FILE_NAMES: Final = (
    "LICENSE",
    "LICENSE.md",
    "LICENSE.txt",
    "LICENSE.rst",
    "LICENCE",
    "LICENCE.md",
    "LICENCE.txt",
    "COPYING",
    "COPYING.md",
    "COPYING.txt",
)

#: (SPDX id, phrases in the title, phrases anywhere), first match wins
_TEXTS: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = (
    ("AGPL-3.0", ("gnu affero general public license",), ("version 3, 19 november 2007",)),
    ("LGPL-3.0", ("gnu lesser general public license",), ("version 3, 29 june 2007",)),
    ("LGPL-2.1", ("gnu lesser general public license",), ("version 2.1, february 1999",)),
    ("LGPL-2.0", ("gnu library general public license",), ("version 2, june 1991",)),
    ("GPL-3.0", ("gnu general public license",), ("version 3, 29 june 2007",)),
    ("GPL-2.0", ("gnu general public license",), ("version 2, june 1991",)),
    ("SSPL-1.0", ("server side public license",), ("version 1",)),
    ("MPL-2.0", ("mozilla public license",), ("version 2.0",)),
    ("Apache-2.0", ("apache license",), ("version 2.0, january 2004",)),
    ("MIT", (), ("permission is hereby granted, free of charge, to any person obtaining a copy",)),
    ("ISC", (), ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("BSD-3-Clause", (), ("redistribution and use in source and binary forms", "neither the name of")),
    ("BSD-2-Clause", (), ("redistribution and use in source and binary forms",)),
    ("Unlicense", (), ("this is free and unencumbered software released into the public domain",)),
)
_TITLE_CHARS: Final = 600
_SPACE: Final = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\ufeff", "")).strip().casefold()


def identify(text: str) -> str:
    """The SPDX id of a license text (GPL family without -only/-or-later: the file does not say
    which), or `unknown`."""
    body = normalize(text)
    title = body[:_TITLE_CHARS]
    for spdx, in_title, anywhere in _TEXTS:
        if all(p in title for p in in_title) and all(p in body for p in anywhere):
            return spdx
    return "unknown"
