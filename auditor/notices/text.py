"""Scraped text made safe for a notice: titles and seller names go into e-mail subjects, form fields and bodies.

A subject is one line: no CR, LF or other control character can start a header or a line that was not
ours. Bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C), which can make a URL or a title read
backwards, are dropped. Every piece is bounded, and says so when it was cut."""

from __future__ import annotations

import re
import unicodedata

SUBJECT_LIMIT = 200  # characters of a subject (RFC 5322 folds long ones; a venue's form cuts them)
FIELD_LIMIT = 2000  # one form field, or one scraped value in a body
BODY_LIMIT = 20_000  # a whole notice

_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u3000]+")


def one_line(value: object, limit: int = SUBJECT_LIMIT) -> str:
    """A single line of at most `limit` characters: line breaks become spaces, control and bidi characters go."""
    text = _BIDI.sub("", str(value or ""))
    text = _CONTROL.sub(" ", text.replace("\r", " ").replace("\n", " "))
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return _bounded(text, limit)


def block(value: object, limit: int = FIELD_LIMIT) -> str:
    """Several lines (a reviewer's note): each line made safe as one_line, the whole bounded."""
    lines = [one_line(line, limit) for line in str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _bounded("\n".join(lines).strip(), limit)


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
