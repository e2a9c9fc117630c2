"""Text normalisation that defeats the usual evasions, with a way back to the original span.

Two forms, applied identically to rule keywords and listing text:
- fold: NFKC (full/half width), case folding, katakana to hiragana, look-alike Cyrillic/Greek
  letters to Latin, dash variants unified, zero-width characters dropped;
- compact: fold, then spaces, punctuation, symbols (★, ♡, emoji) and long-vowel marks dropped, so
  that 「A I 美 女」, 「A★I美女」 and "A.I-Beauty" read as 「ai美女」 and "aibeauty", and
  「ポスター」 and 「ポスタ〜」 both as 「ぽすた」.
The fast functions return only the string; the *_map variants also say, for every output
character, which original characters it came from, and are only needed for a hit's span.

Look-alikes that survive folding (the digit one or a lower-case L for I, zero for O: 【A1美女】,
【Al美女】) are handled on the keyword side: `lookalike_variants` spells a keyword with them, and the
matcher accepts such a spelling only where it cannot be a paper size (see matcher._reads_as_size).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

_KANA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}  # ァ..ヶ -> ぁ..ゖ
_HOMOGLYPHS = {
    # Cyrillic and Greek lower-case letters that read as Latin (after case folding).
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ϲ": "c",
    # A vertical bar (and the full-width ｜, after NFKC) reads as I: folded to the letter ǀ, which the
    # look-alike keyword spellings cover and compact() keeps (「A|美女」); as a separator it is harmless.
    "|": "ǀ", "¦": "ǀ",
}
_DASHES = "‐‑‒–—―−﹣－"  # all fold to ASCII '-'
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

_FOLD_TABLE: dict[int, str | int | None] = {**_KANA}
_FOLD_TABLE.update({ord(k): v for k, v in _HOMOGLYPHS.items()})
_FOLD_TABLE.update({ord(c): "-" for c in _DASHES})
_FOLD_TABLE.update({ord(c): None for c in _ZERO_WIDTH})
# The same as a tuple over the BMP: str.translate indexes it about twice as fast as a dict.
_FOLD_TUPLE = tuple(_FOLD_TABLE.get(cp, cp) for cp in range(0x10000))
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


_LONG_VOWELS = "ー〜～"  # ポスター, ポスタ〜 and ポスタ― all read as ぽすた
LONG_VOWEL_MARKS = _LONG_VOWELS + "ｰ―"  # what may trail a matched span in the original text


def _is_separator(ch: str) -> bool:
    """Spaces, punctuation, symbols other than currency (★, ♡, emoji), controls, long-vowel marks."""
    cat = unicodedata.category(ch)
    return cat[0] in "PZ" or cat in ("Cc", "Cf", "Sm", "Sk", "So") or ch.isspace() or ch in _LONG_VOWELS


# Separators in the BMP, precomputed once: as a table, and as a character class (faster to strip).
_COMPACT_TABLE: dict[int, None] = {cp: None for cp in range(0x10000) if _is_separator(chr(cp))}
_SEPARATOR_CLASS = "".join(re.escape(chr(cp)) for cp in _COMPACT_TABLE)
_SEPARATORS = re.compile(f"[{_SEPARATOR_CLASS}]+")
_KEPT_RUNS = re.compile(f"[^{_SEPARATOR_CLASS}]+")
_DELETED = re.compile("[" + re.escape(_ZERO_WIDTH) + "]")
_COMBINING_EXTRA = {"\u3099", "\u309a", "\uff9e", "\uff9f"}


def fold(text: str) -> str:
    """NFKC, case folding, kana and look-alike folding; keeps spaces and punctuation."""
    if not unicodedata.is_normalized("NFKC", text):
        return fold_map(text).text
    return text.casefold().translate(_FOLD_TUPLE)


def fold_pattern(pattern: str) -> str:
    """A regular expression as it must read to run over fold()ed text: NFKC, katakana as hiragana
    (case is handled by compiling case-insensitively; escapes such as \\B must keep their case)."""
    return unicodedata.normalize("NFKC", pattern).translate(_KANA)


def compact(text: str) -> str:
    """fold(), then without spaces and punctuation: the form keywords are matched in."""
    out = _SEPARATORS.sub("", fold(text))
    if _ASTRAL.search(out):  # emoji and other symbols beyond the table
        out = "".join(c for c in out if c <= "\uffff" or not _is_separator(c))
    return out


@dataclass(frozen=True)
class Mapped:
    """A normalised string and, per character, the original [start, end) it came from."""

    text: str
    starts: tuple[int, ...] | list[int]
    ends: tuple[int, ...] | None  # None: each character came from exactly one original character

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span covering normalised characters [start, end)."""
        if start >= end:
            raise ValueError("empty span")
        last = self.starts[end - 1] + 1 if self.ends is None else self.ends[end - 1]
        return self.starts[start], last


def _chunks(text: str):
    """Split into base characters with their combining marks (so NFKC composes them together)."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or text[j] in _COMBINING_EXTRA):
            j += 1
        yield i, j
        i = j


def fold_map(text: str) -> Mapped:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, j in _chunks(text):
        piece = unicodedata.normalize("NFKC", text[i:j]).casefold().translate(_FOLD_TABLE)
        for ch in piece:
            out.append(ch)
            starts.append(i)
            ends.append(j)
    return Mapped("".join(out), tuple(starts), tuple(ends))


def _one_to_one(text: str) -> bool:
    """fold() keeps every character in place: already NFKC, no case expansion, nothing deleted."""
    return (unicodedata.is_normalized("NFKC", text) and len(text.casefold()) == len(text)
            and not _DELETED.search(text))


def compact_map(text: str) -> Mapped:
    if _one_to_one(text) and not _ASTRAL.search(text):  # the common case, without a loop per character
        folded = fold(text)
        keep: list[int] = []
        for m in _KEPT_RUNS.finditer(folded):
            keep.extend(range(m.start(), m.end()))
        return Mapped(_SEPARATORS.sub("", folded), keep, None)
    folded = fold_map(text)
    keep = [k for k, ch in enumerate(folded.text) if ord(ch) not in _COMPACT_TABLE and not (
        ord(ch) > 0xFFFF and _is_separator(ch))]
    return Mapped(
        "".join(folded.text[k] for k in keep),
        tuple(folded.starts[k] for k in keep),
        tuple(folded.ends[k] for k in keep),
    )


# What stands in for a letter once text is folded and compacted: digit one, lower-case L, dotless i,
# the click letter ǀ (and the bar | folded to it) for i; zero for o.
LOOKALIKES = {"i": "1lıǀ", "o": "0"}
MAX_LOOKALIKE_PLACES = 3  # a keyword with more such letters than this gets no variants
SHORT_TOKEN = 3  # only letters of short Latin tokens (AI, AV, JOI) are spelled with look-alikes


def lookalike_variants(keyword: str) -> list[str]:
    """The compact spellings of a keyword with look-alikes in place of the i's and o's of its short Latin
    tokens ("AI美女" -> a1美女, al美女, ...; "AI-Beauty" -> a1beauty, ... but not b3auty-style rewrites of long
    words, which evaders rarely use and which would grow the automaton for nothing); the keyword itself excluded."""
    text = unicodedata.normalize("NFKC", keyword)
    mapped = compact_map(text)
    word = mapped.text
    places = []
    for k, ch in enumerate(word):
        if ch not in LOOKALIKES:
            continue
        a = b = mapped.starts[k]
        while a > 0 and text[a - 1].isascii() and text[a - 1].isalnum():
            a -= 1
        while b + 1 < len(text) and text[b + 1].isascii() and text[b + 1].isalnum():
            b += 1
        if b - a + 1 <= SHORT_TOKEN:
            places.append(k)
    if not places or len(places) > MAX_LOOKALIKE_PLACES:
        return []
    out = set()
    for combo in itertools.product(*[word[k] + LOOKALIKES[word[k]] for k in places]):
        letters = list(word)
        for k, ch in zip(places, combo):
            letters[k] = ch
        out.add("".join(letters))
    out.discard(word)
    return sorted(out)
