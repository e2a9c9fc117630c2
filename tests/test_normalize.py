import random

import pytest

from auditor.rules.normalize import compact, compact_map, fold, fold_map


@pytest.mark.parametrize("text, expected", [
    ("ＡＩ美女", "ai美女"),            # full width
    ("A I 美 女", "ai美女"),           # spaced out
    ("A.I-Beauty", "aibeauty"),        # separators
    ("AI\u200b美女", "ai美女"),         # zero-width space
    ("АI美女", "ai美女"),               # Cyrillic А
    ("ｴﾛ", "えろ"),                     # half-width katakana, folded to hiragana
    ("ﾎﾟｽﾀｰ", "ぽすた"),               # half-width voiced mark composes; long vowel dropped
    ("A★I💕美女", "ai美女"),            # symbols and emoji between letters
    ("ポスタ〜", "ぽすた"),              # long-vowel variants
    ("【AI美女】", "ai美女"),           # brackets
])
def test_compact_defeats_evasions(text, expected):
    assert compact(text) == expected
    assert compact_map(text).text == expected


def test_original_span_is_the_text_as_written():
    text = "新作 A I 美 女 ポスター"
    m = compact_map(text)
    i = m.text.index("ai美女")
    start, end = m.original_span(i, i + 4)
    assert text[start:end] == "A I 美 女"


def test_half_width_span_covers_the_combining_mark():
    text = "ﾎﾟｽﾀｰ"
    m = compact_map(text)
    start, end = m.original_span(0, 1)
    assert text[start:end] == "ﾎﾟ"


def test_fast_and_mapped_forms_agree_on_random_text():
    rng = random.Random(3)
    alphabet = "aAＡ ・-.美女エロｴﾛﾞﾟｰー\u200b\u3099АаIiß①㍻ﬁ!?、。"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        assert fold(text) == fold_map(text).text, repr(text)
        assert compact(text) == compact_map(text).text, repr(text)
