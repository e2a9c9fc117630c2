"""`auditor rules test / explain / backtest / schema`, as staff use them."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import cli
from auditor.demo import generate
from auditor.demo.catalog import SITE_OF_SECTION
from auditor.models import Listing
from auditor.rules import Matcher, load_rules
from auditor.rules.schema import rule_schema_text
from auditor.store import Store

from conftest import RULES


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_rules_test_passes_on_the_starter_pack():
    result = invoke("rules", "test", str(RULES))
    assert result.exit_code == 0
    assert result.output.strip().endswith("examples passed in 13 rules")
    checked = int(result.output.split()[0])
    assert result.output.startswith(f"{checked} of {checked} examples")


def test_rules_test_names_the_rule_and_example_that_fail(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("rules:\n  - id: t.label\n    title: Label\n    severity: high\n    selections:\n"
                   "      label: {keywords: [AI美女]}\n    examples:\n      match:\n        - title: AIスピーカー\n"
                   "      no_match:\n        - title: ＡＩ美女 ポスター\n", encoding="utf-8")
    result = invoke("rules", "test", str(bad))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{bad}:9:11: example {{title: 'AIスピーカー'}} is not flagged by t.label",
        f"{bad}:11:11: example {{title: 'ＡＩ美女 ポスター'}} is flagged by t.label",
        "0 of 2 examples passed in 1 rules",
    ]


def test_explain_json_gives_rule_field_and_original_span():
    result = invoke("rules", "explain", "--rules", str(RULES), "--title", "新作【Ａ Ｉ 美 女】", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == {"matches": [
        {"rule": "ai_poster.label", "severity": "high", "field": "title", "span": "Ａ Ｉ 美 女"}]}
    none = invoke("rules", "explain", "--rules", str(RULES), "--title", "イエロー Tシャツ", "--json")
    assert json.loads(none.output) == {"matches": []}


def test_explain_shows_the_normalised_text():
    result = invoke("rules", "explain", "--rules", str(RULES), "--title", "A.I-Beauty", "--field", "price=3000")
    assert result.output.splitlines() == [
        "title: folded 'a.i-beauty', compared as 'aibeauty'",
        'ai_poster.label (high): title "A.I-Beauty"',
    ]


def test_schema_matches_the_shipped_file_and_rule_files_point_at_it():
    assert (RULES / "rule.schema.json").read_text(encoding="utf-8") == rule_schema_text()
    assert invoke("rules", "schema").output == rule_schema_text()
    for f in RULES.glob("*.yaml"):
        assert f.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=./rule.schema.json\n"), f


def _store_demo(db: Path, keep_rules: Path | None = None) -> int:
    """The demo catalogue stored as a run would have stored it (and the rule files it used, if given)."""
    catalog = generate(7, 300)
    now = datetime.now(timezone.utc)
    matcher = Matcher(load_rules(RULES))
    with Store(db) as store:
        run = store.start_run(now, ["demo"], [])
        if keep_rules is not None:
            from auditor.rules.loader import rule_files
            from auditor.run.pipeline import rule_texts

            store.save_rule_set(run, rule_texts(keep_rules, rule_files([keep_rules])), now)
        for x in catalog.listings:
            listing = Listing(SITE_OF_SECTION[x.section], x.item_id, f"http://demo/{x.item_id}", x.title, x.description,
                              Decimal(x.price), "JPY", seller_id=x.seller.id, seller_name=x.seller.name,
                              category=x.category, tags=x.tags, status=x.status)
            store.record_listing(run, "demo", listing, matcher.match_listing(listing), now)
    return len(catalog.listings)


def test_backtest_shows_added_and_removed_hits_on_the_demo_data(tmp_path):
    count = _store_demo(tmp_path / "a.db")
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nrules_dir: {rules_dir}\n", encoding="utf-8")
    edited = tmp_path / "adult.yaml"  # staff drop セクシー from the adult terms and flag 美麗イラスト instead
    text = (RULES / "adult.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("keywords: [エロ, セクシー,", "keywords: [エロ, 美麗イラスト,"), encoding="utf-8")
    before = (rules_dir / "adult.yaml").read_bytes()
    result = invoke("--config", str(config), "rules", "backtest", str(edited), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["listings"] == count
    assert data["added"] and {c["rule_id"] for c in data["added"]} == {"adult.terms"}
    assert all(c["title"].startswith("美麗イラスト") for c in data["added"])
    assert data["removed"] and all(set(c["spans"]) == {"セクシー"} for c in data["removed"])
    assert (rules_dir / "adult.yaml").read_bytes() == before  # nothing changed
    text_out = invoke("--config", str(config), "rules", "backtest", str(edited), "--since", "1d")
    assert text_out.output.startswith(f"{count} stored listings seen in the last 1d, against the rules folder "
                                      f"({rules_dir}): {len(data['added'])} hits added, {len(data['removed'])} removed")
    assert invoke("--config", str(config), "rules", "backtest", str(edited), "--since", "soon").output.strip() == \
        "error: --since 'soon': give a number and a unit, e.g. 30d, 12h or 2w"


def test_backtest_of_a_file_edited_in_place_compares_with_the_rules_the_last_run_used(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    count = _store_demo(tmp_path / "a.db", keep_rules=rules_dir)
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nrules_dir: {rules_dir}\n", encoding="utf-8")
    path = rules_dir / "ai_poster.yaml"  # staff narrow the label list where it lies, as they naturally do
    text = path.read_text(encoding="utf-8")
    assert "keywords: &ai_beauty [AI美女, AI-Beauty," in text
    path.write_text(text.replace("keywords: &ai_beauty [AI美女, AI-Beauty,", "keywords: &ai_beauty [AI美女,"), encoding="utf-8")
    for args in ([str(path)], []):  # the file, or the whole folder as it is now
        result = invoke("--config", str(config), "rules", "backtest", *args, "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["listings"] == count and data["baseline"].startswith("the rules of run #1 (")
        assert re.search(r"^the rules of run #1 \(\d{4}-\d\d-\d\d \d\d:\d\d\+09:00\)$", data["baseline"])  # JST
        assert data["added"] == [] and data["removed"]  # the edit's effect shows: not "0 removed"
        from auditor.rules.normalize import compact

        assert all("aibeauty" in compact(c["title"]) for c in data["removed"])  # only what the dropped label flagged


def test_rules_test_warns_of_a_rule_without_examples_and_strict_refuses_it(tmp_path):
    bare = tmp_path / "bare.yaml"
    bare.write_text("rules:\n  - id: bare.label\n    title: t\n    severity: high\n    selections:\n"
                    "      label: {keywords: [AI美女]}\n    examples:\n      match: [{title: AI美女}]\n", encoding="utf-8")
    loose = invoke("rules", "test", str(bare))
    assert loose.exit_code == 0
    assert f"warning: {bare}:2:5: rule bare.label has no `no_match` example: nothing it must not flag is shown" in loose.output
    assert loose.output.strip().endswith("1 of 1 examples passed in 1 rules; 1 rules lack an example")
    strict = invoke("rules", "test", "--strict", str(bare))
    assert strict.exit_code == 1 and "error: " in strict.output
    assert invoke("rules", "test", "--strict", str(RULES)).exit_code == 0  # the starter pack passes --strict


def test_explain_says_why_a_rule_does_not_fire_selection_by_selection():
    result = invoke("rules", "explain", "--rules", str(RULES), "--title", "AIイラスト イエロー ポスター A3",
                    "--rule", "ai_poster.adult_print")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "ai_poster.adult_print (critical) does not fire; condition `1 of ai_* and adult and printed` is false" in lines
    assert '  ✓ selection ai_generated: title "AIイラスト"' in lines
    adult = next(line for line in lines if line.startswith("  ✗ selection adult:"))
    assert 'cancelled: title "エロ" (inside the except phrase "イエロ' in adult  # the look-alike that saved it
    assert '  ✓ selection printed: title "ポスター"; title "A3"' in lines
    data = json.loads(invoke("rules", "explain", "--rules", str(RULES), "--title", "生成美人 ポスター",
                             "--rule", "ai_poster.sold_as_print", "--json").output)
    [rule] = data["rules"]
    assert (rule["rule"], rule["fires"]) == ("ai_poster.sold_as_print", False)
    assert {s["name"]: s["held"] for s in rule["selections"]} == {"label": False, "printed": True}
    unknown = invoke("rules", "explain", "--rules", str(RULES), "--title", "x", "--rule", "ai_poster.labl")
    assert unknown.exit_code == 2 and "did you mean 'ai_poster.label'?" in unknown.output


def test_explain_takes_the_venues_labels_and_shows_which_rule_reads_them():
    result = invoke("rules", "explain", "--rules", str(RULES), "--title", "美人画 ポスター A3", "--label", "adult",
                    "--label", "ai_generated", "--rule", "ai_poster.venue_adult_print")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "labels (the venue's own marks): adult, ai_generated" in lines
    assert 'ai_poster.venue_adult_print (critical): labels "ai_generated"' in lines
    assert '  ✓ selection marked_adult: labels "adult"' in lines
    unmarked = invoke("rules", "explain", "--rules", str(RULES), "--title", "美人画 ポスター A3", "--label", "adult")
    assert "ai_poster.venue_adult_print" not in unmarked.output  # the AI mark is missing
    wrong = invoke("rules", "explain", "--rules", str(RULES), "--title", "x", "--label", "r18")
    assert wrong.exit_code == 2 and "a venue's label is one of adult, ai_generated, shop, auction" in wrong.output
