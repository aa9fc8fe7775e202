"""Numbers read from text we did not write: tags, metadata, headers, shorthand settings.

`str.isdigit()` is true for `²`, for Arabic-Indic `٣` and for full-width digits: `int()` then
refuses the first and reads the others as 3, so a crafted or mistyped value either crashes its
reader or means something nobody wrote. Only ASCII `[0-9]` is a number here (a leaf module: it imports nothing).
"""

from __future__ import annotations


def is_ascii_digits(text: str) -> bool:
    """True for one or more of 0-9 and nothing else."""
    return text.isascii() and text.isdigit()
