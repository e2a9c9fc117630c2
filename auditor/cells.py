"""Spreadsheet-safe cells: the one rule every CSV auditor writes follows (hits.csv, decisions export, banks export).

A cell a spreadsheet would evaluate as a formula is prefixed with a quote: one that starts with =, +, -, @ (or
their full-width forms), a tab or a CR, also after leading control characters (a NUL), spaces or invisible marks.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_LEADING_JUNK = re.compile(r"^[\x00-\x20\x7f\u00a0\u3000\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")


def neutralize_cell(value) -> str:
    """The cell's text, made inert (a list's values joined with " | ")."""
    text = "" if value is None else (" | ".join(map(str, value)) if isinstance(value, list) else str(value))
    if text.startswith(FORMULA_STARTS) or (_LEADING_JUNK.match(text) and _LEADING_JUNK.sub("", text).startswith(FORMULA_STARTS)):
        return "'" + text
    return text
