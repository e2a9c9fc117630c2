"""The rule files: loading, validation with file:line:column, and the starter pack's behaviour."""

from pathlib import Path

import pytest

from auditor.errors import RuleError
from auditor.models import Listing
from auditor.rules import Matcher, check_rules, load_rules
from auditor.rules.testing import run_examples

from conftest import RULES


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_rules(RULES))


def fired(matcher: Matcher, **fields) -> set[str]:
    values = {k: (v if isinstance(v, list) else [v]) for k, v in fields.items()}
    return {h.rule_id for h in matcher.match_fields(values)}


def write_rules(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(path: Path) -> list[str]:
    _, problems = check_rules([path])
    return [str(p) for p in problems]


GOOD = """rules:
  - id: sample.one
    title: One
    severity: high
    selections:
      label:
        keywords: [AI美女]
"""


def test_every_starter_rule_has_examples_and_passes_them(matcher):
    ruleset = matcher.ruleset
    assert len(ruleset) >= 10
    assert all(r.rule.examples.match and r.rule.examples.no_match for r in ruleset.rules)
    checked, failures = run_examples(ruleset, matcher)
    assert checked >= 50
    assert failures == []


@pytest.mark.parametrize("title", ["AI美女 ポスター", "ＡＩ美女 ポスター", "A I 美 女 ポスター", "AI-Beauty poster",
                                   "A.I-Beauty poster", "AI\u200b美女 ポスター", "АI美女 ポスター", "【AIグラビア】A3"])
def test_evasions_of_the_label_are_caught(matcher, title):
    assert fired(matcher, title=title) == {"ai_poster.label", "ai_poster.sold_as_print"}


@pytest.mark.parametrize("title", ["AIスピーカー 第3世代", "美女と野獣 DVD", "イエロー Tシャツ", "ピエロ フィギュア",
                                   "AI搭載 ロボット掃除機", "Beauty and the Beast poster A3", "エロイカより愛をこめて"])
def test_look_alikes_are_not_flagged(matcher, title):
    assert fired(matcher, title=title) == set()


def test_a_real_term_beside_an_exception_still_counts(matcher):
    assert fired(matcher, title="イエロー エロ") == {"adult.terms"}


def test_hits_carry_the_original_span(matcher):
    listing = Listing(site="s", item_id="1", url="http://x/1", title="新作 A I 美 女 ポスター", tags=("ＡＩ美女",))
    hits = {h.rule_id: h for h in matcher.match_listing(listing)}
    spans = [(m.field, m.text) for m in hits["ai_poster.label"].matches]
    assert spans == [("title", "A I 美 女"), ("tags", "ＡＩ美女")]


def test_mode_all_and_regex(tmp_path):
    write_rules(tmp_path, "combo.yaml", """rules:
  - id: combo.all
    title: All
    severity: low
    selections:
      both:
        fields: [title]
        keywords: [poster, A3]
        mode: all
  - id: combo.rx
    title: Regex
    severity: low
    selections:
      size:
        fields: [description]
        regex: ['\\b[ab][0-9]\\s*size']
""")
    m = Matcher(load_rules(tmp_path))
    assert fired(m, title="poster A3") == {"combo.all"}
    assert fired(m, title="poster") == set()
    hits = m.match_fields({"description": ["Ｂ２ Size glossy"]})
    assert [(h.rule_id, h.matches[0].text) for h in hits] == [("combo.rx", "Ｂ２ Size")]


def test_valid_file_has_no_problems(tmp_path):
    assert problems_of(write_rules(tmp_path, "sample.yaml", GOOD)) == []


@pytest.mark.parametrize("edit, message", [
    (("severity: high", "severity: urgent"), "4:15: rules[0].severity: Input should be 'info', 'low', 'medium', 'high' or 'critical'"),
    (("keywords: [AI美女]", "keywords: [AI美女]\n        regx: [x]"), "8:9: rules[0].selections.label.regx: unknown key (did you mean 'regex'?)"),
    (("keywords: [AI美女]", "regex: ['(a)\\1']"), "7:17: regex '(a)\\1' cannot run in linear time or is invalid: invalid escape sequence: \\1"),
    (("severity: high", "severity: high\n    condition: label and poster"), "5:16: condition names selection 'poster', which the rule does not define"),
    (("id: sample.one", "id: other.one"), "2:9: rule id 'other.one' must start with the file's name, 'sample.'"),
    (("keywords: [AI美女]", "fields: [titel]\n        keywords: [AI美女]"), "7:18: rules[0].selections.label.fields[0]: Input should be 'title', 'description', 'tags', 'category', 'seller_id', 'seller_name', 'site', 'currency', 'image_meta', 'item_id', 'url' or 'labels' (did you mean 'title'?)"),
])
def test_each_kind_of_mistake_names_file_line_and_column(tmp_path, edit, message):
    old, new = edit
    path = write_rules(tmp_path, "sample.yaml", GOOD.replace(old, new))
    assert problems_of(path) == [f"{path}:{message}"]


def test_duplicate_ids_across_files(tmp_path):
    write_rules(tmp_path, "sample.yaml", GOOD)
    (tmp_path / "more").mkdir()
    second = write_rules(tmp_path / "more", "sample.yaml", GOOD)
    assert problems_of(tmp_path) == [f"{second}:2:9: duplicate rule id 'sample.one' (first defined at {tmp_path / 'sample.yaml'}:2:5)"]


def test_a_broken_file_stops_loading_with_every_problem(tmp_path):
    write_rules(tmp_path, "sample.yaml", GOOD)
    bad = write_rules(tmp_path, "zz.yaml", "rules:\n  - id: zz.one\n    title: [unclosed\n")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert str(info.value).startswith(f"{bad}:4:1: YAML syntax:")


def test_the_readme_rule_example_loads_and_passes_its_examples(tmp_path):
    readme = (RULES.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Rules (`rules/*.yaml`)", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = write_rules(tmp_path, "ai_poster.yaml", block)
    m = Matcher(load_rules(path))
    [loaded] = m.ruleset.rules
    assert run_examples(m.ruleset, m) == (3, [])
    assert fired(m, title="AI美女 タペストリー B2") == {"ai_poster.sold_as_print"}  # the regex, case-insensitive


def test_one_validate_names_every_problem_of_a_file_with_did_you_mean(tmp_path):
    bad = tmp_path / "five.yaml"
    bad.write_text("rules:\n  - id: five.label\n    titel: AI labels\n    severity: urgent\n    selections:\n"
                   "      label:\n        keyword: [AI美女]\n      printed:\n        keywords: [ポスター]\n"
                   "        regex: ['(B[1-3]']\n    condition: label and printd\n", encoding="utf-8")
    _, problems = check_rules([bad])
    said = [str(p).replace(f"{bad}:", "") for p in problems]
    assert "3:5: rules[0].titel: unknown key (did you mean 'title'?)" in said
    assert "7:9: rules[0].selections.label.keyword: unknown key (did you mean 'keywords'?)" in said
    assert any(s.startswith("4:15: rules[0].severity: Input should be 'info'") for s in said)
    assert any(s.startswith("10:17: regex '(B[1-3]' cannot run in linear time or is invalid: missing )") for s in said)
    assert "11:16: condition names selection 'printd', which the rule does not define (did you mean 'printed'?)" in said
    assert len(said) == 6  # the five mistakes, and the title the misspelt key left missing


def test_yaml_syntax_errors_say_the_likely_cause_in_plain_words(tmp_path):
    from auditor.errors import RuleError

    cases = {"rules:\n  - {id: x.a, title: t\n": "a '{' opened earlier is not closed (a missing '}')",
             "rules:\n\t- id: x.a\n": "a tab character: indent YAML with spaces only",
             "rules:\n  - id: x.a\n    title: 'open\n": "a quote opened earlier is not closed",
             "rules:\n  - id: x.a\n    title: t\n     severity: high\n": "a ':' where YAML expects none"}
    for text, plain in cases.items():
        f = tmp_path / "x.yaml"
        f.write_text(text, encoding="utf-8")
        with pytest.raises(RuleError) as info:
            load_rules(f)
        assert plain in str(info.value), (text, str(info.value))
