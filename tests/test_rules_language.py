"""The rule language beyond keywords: ranges, presence, exceptions, seller rules, regex safety,
YAML anchors, and the starter pack against a benign corpus."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from auditor.models import Listing
from auditor.rules import Matcher, check_rules, load_rules
from auditor.rules.sellers import FlaggedRow, judge_sellers

from conftest import RULES

BENIGN = Path(__file__).parent / "corpus" / "benign.txt"


def rules_from(tmp_path: Path, text: str, name: str = "t.yaml") -> Matcher:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return Matcher(load_rules(tmp_path / name))


def fired(m: Matcher, numbers=None, **fields) -> set[str]:
    values = {k: (v if isinstance(v, list) else [v]) for k, v in fields.items()}
    return {h.rule_id for h in m.match_fields(values, numbers or {})}


def test_numeric_ranges_and_presence(tmp_path):
    m = rules_from(tmp_path, """rules:
  - id: t.pricey_poster
    title: Pricey poster
    severity: low
    selections:
      poster: {keywords: [poster]}
      pricey: {price: {min: 10000}}
      instant: {present: [buy_now_price]}
    condition: poster and pricey and not instant
  - id: t.no_seller
    title: No seller shown
    severity: info
    selections:
      anonymous: {absent: [seller_id], bids: {max: 0}}
""")
    assert fired(m, {"price": Decimal(12000)}, title="poster", seller_id="s") == {"t.pricey_poster"}
    assert fired(m, {"price": Decimal(9999)}, title="poster", seller_id="s") == set()
    assert fired(m, {"price": Decimal(12000), "buy_now_price": Decimal(20000)}, title="poster", seller_id="s") == set()
    assert fired(m, {"bids": 0}, title="anything") == {"t.no_seller"}
    assert fired(m, {"bids": 3}, title="anything") == set()


def test_exceptions_suppress_a_rule_and_are_not_evidence(tmp_path):
    m = rules_from(tmp_path, """rules:
  - id: t.sexy
    title: Sexy
    severity: low
    selections:
      term: {keywords: [セクシー]}
    exceptions:
      shop: {fields: [seller_id], keywords: [official_store]}
""")
    assert fired(m, title="セクシー ポスター", seller_id="someone") == {"t.sexy"}
    assert fired(m, title="セクシー ポスター", seller_id="official_store") == set()


def test_regexes_see_katakana_and_case_as_written(tmp_path):
    m = rules_from(tmp_path, """rules:
  - id: t.lookalike
    title: Lookalike
    severity: low
    selections:
      rx: {regex: ['(女優|アイドル)似', 'Celebrity Look-?alike']}
""")
    hits = m.match_fields({"title": ["ｱｲﾄﾞﾙ似 ポスター", "CELEBRITY LOOKALIKE"]})
    assert [(h.rule_id, [x.text for x in h.matches]) for h in hits] == [("t.lookalike", ["ｱｲﾄﾞﾙ似", "CELEBRITY LOOKALIKE"])]


@pytest.mark.timeout(60)  # a backtracking engine takes ~2^100000 steps here: it would never end, whatever the load
def test_catastrophic_backtracking_pattern_runs_in_linear_time(tmp_path):
    m = rules_from(tmp_path, """rules:
  - id: t.redos
    title: ReDoS
    severity: low
    selections:
      rx: {regex: ['(a+)+$']}
""")
    text = "a" * 100_000 + "!"
    hits = m.match_fields({"description": [text]})
    assert hits == []  # the text does not end in a's


def test_a_pattern_re2_cannot_run_is_refused_with_the_reason(tmp_path):
    (tmp_path / "t.yaml").write_text("rules:\n  - id: t.x\n    title: x\n    severity: low\n    selections:\n"
                                     "      rx: {regex: ['(?=lookahead)x']}\n", encoding="utf-8")
    _, problems = check_rules([tmp_path])
    assert [str(p) for p in problems] == [
        f"{tmp_path / 't.yaml'}:6:20: regex '(?=lookahead)x' cannot run in linear time or is invalid: invalid perl operator: (?="]


def test_seller_rule_that_names_no_listing_rule_is_a_problem(tmp_path):
    (tmp_path / "t.yaml").write_text("rules:\n  - id: t.s\n    title: s\n    severity: low\n    seller:\n"
                                     "      min_listings: 2\n      rules: [nothing.*]\n", encoding="utf-8")
    _, problems = check_rules([tmp_path])
    assert [str(p) for p in problems] == [f"{tmp_path / 't.yaml'}:7:15: seller.rules: 'nothing.*' names no listing rule"]


def test_a_rule_must_say_what_it_tests(tmp_path):
    (tmp_path / "t.yaml").write_text("rules:\n  - id: t.x\n    title: x\n    severity: low\n", encoding="utf-8")
    _, problems = check_rules([tmp_path])
    assert [str(p) for p in problems] == [
        f"{tmp_path / 't.yaml'}:2:5: rules[0]: a rule needs selections (a listing rule) or seller (a seller rule)"]


def test_repeat_sellers_by_count_and_by_total():
    ruleset = load_rules(RULES)
    repeat, earner = ruleset.by_id("sellers.repeat_ai_poster"), ruleset.by_id("sellers.high_earner")
    rows = [FlaggedRow("demo", "big", "Big", f"x{i}", Decimal(80000), "ai_poster.label", ("ai-generated",)) for i in range(4)]
    rows += [FlaggedRow("demo", "big", "Big", "x0", Decimal(80000), "ai_poster.sold_as_print", ("ai-generated",))]  # same item
    rows += [FlaggedRow("demo", "small", "Small", f"y{i}", Decimal(1000), "deepfake.face_swap", ("deepfake",)) for i in range(5)]
    rows += [FlaggedRow("demo", "yellow", "Y", f"z{i}", Decimal(1000), "adult.terms", ("adult",)) for i in range(9)]
    assert [(h.seller_id, h.listings, h.total) for h in judge_sellers(repeat, rows)] == [("small", 5, Decimal(5000))]
    assert [(h.seller_id, h.listings, h.total) for h in judge_sellers(earner, rows)] == [("big", 4, Decimal(320000))]


def test_yaml_anchors_share_keyword_lists():
    ruleset = load_rules(RULES)
    label = ruleset.by_id("ai_poster.label").rule.selections["label"].keywords
    assert ruleset.by_id("ai_poster.sold_as_print").rule.selections["label"].keywords == label
    assert "AI美女" in label


def _benign():
    for line in BENIGN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            title, _, note = line.partition("||")
            note = note.strip()
            known = set(note.removeprefix("known:").split()) if note.startswith("known:") else set()
            category = note.removeprefix("category:").strip() if note.startswith("category:") else ""
            yield title.strip(), category, known


@pytest.fixture(scope="module")
def starter() -> Matcher:
    return Matcher(load_rules(RULES))


@pytest.mark.parametrize("title, category, known", list(_benign()), ids=lambda v: v if isinstance(v, str) else "")
def test_benign_corpus_is_not_flagged_beyond_known_false_positives(starter, title, category, known):
    listing = Listing(site="x", item_id="1", url="http://x", title=title, category=category or None)
    assert {h.rule_id for h in starter.match_listing(listing)} == known


@pytest.mark.parametrize("text, rule", [
    ("AI美女", "ai_poster.label"), ("ＡＩ美女", "ai_poster.label"), ("A I 美 女", "ai_poster.label"),
    ("A.I-Beauty", "ai_poster.label"), ("ai beauty", "ai_poster.label"), ("AI\u200b美\u200d女", "ai_poster.label"),
    ("АI美女", "ai_poster.label"), ("ΑΙ美女", "ai_poster.label"), ("A★I💕美女", "ai_poster.label"),
    ("AIグラビア", "ai_poster.label"), ("ＡＩぐらびあ", "ai_poster.label"), ("ｴｰｱｲ美女", None),
    ("AI生成", "ai_poster.generated"), ("生成AI", "ai_poster.generated"), ("AIイラスト", "ai_poster.generated"),
    ("AIアート", "ai_poster.generated"), ("Stable Diffusion", "ai_poster.generated"), ("NovelAI", "ai_poster.generated"),
    ("Midjourney", "ai_poster.generated"), ("アイコラ", "deepfake.face_swap"), ("ディープフェイク", "deepfake.face_swap"),
    ("deep-fake", "deepfake.face_swap"), ("局部にモザイク加工を施して発送", "ai_poster.evasion_phrase"),
    ("モデルはすべて18歳以上", "ai_poster.evasion_phrase"), ("ｾｸｼｰ", "adult.terms"), ("R-18", "adult.terms"),
])
def test_every_listed_evasion_is_caught(starter, text, rule):
    got = {h.rule_id for h in starter.match_fields({"title": [f"新作 {text} 作品"]})}
    if rule is None:  # spelled out in katakana: a known gap, documented here so it stays visible
        assert "ai_poster.label" not in got
    else:
        assert rule in got


def test_a_rule_can_name_one_listing_by_item_id_or_url():
    """A false positive of one listing can be written as a rule exception, by its item id or URL."""
    from auditor.models import Listing
    from auditor.rules import Matcher
    from auditor.rules.loader import LoadedRule, RuleSet
    from auditor.rules.condition import parse_condition
    from auditor.rules.model import Rule

    rule = Rule.model_validate({"id": "t.label", "title": "t", "severity": "high",
                                "selections": {"label": {"keywords": ["AI美女"]}},
                                "exceptions": {"reviewed": {"fields": ["item_id", "url"], "keywords": ["x100191"]}}})
    matcher = Matcher(RuleSet((LoadedRule(rule, parse_condition("label", ["label"]), None),), ()))
    hit = Listing("demo_auction", "x100190", "http://h/auction/item/x100190", "AI美女 ポスター")
    spared = Listing("demo_auction", "x100191", "http://h/auction/item/x100191", "AI美女 ポスター")
    assert [h.rule_id for h in matcher.match_listing(hit)] == ["t.label"]
    assert matcher.match_listing(spared) == []


LOOKALIKE_RULE = """rules:
  - id: t.label
    title: label
    severity: high
    selections:
      label: {keywords: [AI美女, AIグラビア]%s}
    condition: label
"""


@pytest.mark.parametrize("title, fires", [
    ("【A1美女】オリジナル", True), ("【Al美女】", True), ("Aı美女 作品", True), ("A1グラビア B2", True),
    ("A1 美女ポスター", False), ("A1サイズ 美女", False), ("A1-美女", False), ("A1ポスター 美女", False),
    ("GLOBAL美女", False),  # a look-alike must still start a word
])
def test_look_alike_digits_and_letters_count_unless_they_read_as_a_paper_size(tmp_path, title, fires):
    m = rules_from(tmp_path, LOOKALIKE_RULE % "")
    assert bool(fired(m, title=title)) is fires


def test_look_alikes_can_be_turned_off_per_selection(tmp_path):
    m = rules_from(tmp_path, LOOKALIKE_RULE % ", lookalikes: false")
    assert fired(m, title="【A1美女】") == set() and fired(m, title="【AI美女】") == {"t.label"}


def test_a_look_alike_match_quotes_the_text_as_written(tmp_path):
    m = rules_from(tmp_path, LOOKALIKE_RULE % "")
    [hit] = m.match_listing(Listing("s", "1", "https://x.example/1", "新作【A1美女】"))
    assert [x.text for x in hit.matches] == ["A1美女"]


@pytest.mark.parametrize("title", ["【A1美女】 ポスター", "【Al美女】 ポスター", "【AＩ美女】 ポスター", "「A|美女」 ポスター",
                                   "ポスター|AI美女|A3"])
def test_the_starter_pack_sees_through_look_alikes(title):
    m = Matcher(load_rules(RULES))
    assert "ai_poster.label" in fired(m, title=title)


@pytest.mark.parametrize("title", ["A1 ポスター 光沢紙", "A1サイズ 額縁", "iPhone 11 ケース", "A1 美女ポスター 額装"])
def test_paper_sizes_and_model_numbers_stay_innocent(title):
    assert fired(Matcher(load_rules(RULES)), title=title) == set()
