"""Shadow mode: a rule with `status: experimental` runs on every audit, and nothing of production sees it.

A real demo audit over a real SQLite file: the trial rule's hits are stored and shown in their own
report section and on the console's rules page, and enter no state, no queue and no alert, until
`auditor rules promote` puts the rule into production.
"""

from __future__ import annotations

import re

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import BrowserSettings, Config, CrawlSettings, DemoSettings, EvidenceSettings
from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.demo.world import DemoWorld
from auditor.ops.audit import start_audit
from auditor.review import queue as q
from auditor.run.pipeline import AuditOptions
from auditor.store import Store
from conftest import RULES, FixedClock

pytestmark = pytest.mark.e2e
TRIAL = """rules:
  - id: trial.poster_word
    title: the word poster, on trial
    severity: critical
    status: experimental   # shadow mode while we see what it catches
    selections:
      poster: {keywords: [ポスター]}
    condition: poster
    examples:
      match: [{title: 光沢 ポスター}]
      no_match: [{title: 写真集}]
"""


@pytest.fixture
def audited(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "trial.yaml").write_text(TRIAL, encoding="utf-8")
    config = Config(database=tmp_path / "a.db", reports_dir=tmp_path / "reports", rules_dir=rules, log_file=None,
                    browser=BrowserSettings(concurrency=2), demo=DemoSettings(listings=60),
                    evidence=EvidenceSettings(enabled=False),
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10))
    clock = FixedClock()
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                                        hosts=demo_hosts(config, DemoWorld(7, 60, epoch=clock()), 1)))
    return config, summary, clock, rules


def test_a_shadow_rule_is_stored_and_shown_apart_and_enters_no_queue(audited):
    config, summary, clock, _ = audited
    with Store(config.database) as store:
        shadow = store.shadow_hits_for_runs([summary.run_id])
        production = {r["rule_id"] for r in store.db.query("select rule_id from hits")}
        queued_rules = {rule for c in q.queue(store, q.Filters(), clock()) for rule in c.rules}
        stats = {s.rule_id: s for s in q.rule_stats(store, clock())}
    assert "trial.poster_word" in {h["rule_id"] for h in shadow}
    assert {h["rule_id"] for h in shadow} <= {"trial.poster_word", "deepfake.lookalike"}  # the shipped trial rule too
    assert not {"trial.poster_word", "deepfake.lookalike"} & (production | queued_rules)
    assert stats["trial.poster_word"].shadow and stats["trial.poster_word"].flagged == len({h["item_id"] for h in shadow})
    report = Path(summary.report_dir)
    html = (report / "report.html").read_text(encoding="utf-8")
    assert 'id="shadow"' in html and "trial.poster_word" in html
    assert "trial.poster_word" not in json.dumps(json.loads((report / "hits.json").read_text(encoding="utf-8")))


def test_promote_changes_only_the_status_word_and_the_rule_goes_into_production(audited):
    config, _, _, rules = audited
    before = (rules / "trial.yaml").read_text(encoding="utf-8")
    cfg = rules.parent / "config.yaml"
    cfg.write_text(f"database: {config.database}\nrules_dir: {rules}\nlog_file: null\n", encoding="utf-8")
    typo = CliRunner().invoke(cli, ["--config", str(cfg), "rules", "promote", "trial.poster_wrd", str(rules)])
    assert typo.exit_code == 2 and "did you mean 'trial.poster_word'?" in typo.output
    result = CliRunner().invoke(cli, ["--config", str(cfg), "rules", "promote", "trial.poster_word", str(rules)])
    assert result.exit_code == 0, result.output
    flagged = int(re.search(r"in shadow it flagged (\d+) listings", result.output).group(1))
    assert flagged > 0  # how it did on trial, before it goes into production
    after = (rules / "trial.yaml").read_text(encoding="utf-8")
    assert after == before.replace("status: experimental", "status: stable")  # the comment stays
    again = CliRunner().invoke(cli, ["rules", "promote", "trial.poster_word", str(rules)])
    assert again.exit_code == 2 and "not in shadow mode" in again.output
