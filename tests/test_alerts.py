"""Every alert event, sent once, to a local JSON webhook on 127.0.0.1; site health and drift in the report."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import NotifySettings, Target
from auditor.demo import serve_demo
from auditor.demo.catalog import Catalog, generate
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import RULES, untranslated
from test_notify import hook  # noqa: F401 - the webhook fixture

SELLER_RULE = """rules:
  - id: few.two_flagged
    title: two flagged listings
    severity: critical
    seller: {min_listings: 2, within_days: 30}
"""


def test_each_alert_is_sent_once_and_a_redesigned_site_drifts(config, clock, hook, tmp_path):  # noqa: F811
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "few.yaml").write_text(SELLER_RULE, encoding="utf-8")
    japanese = hook.url.replace("/hook", "/ja")  # the same hook, told in each destination's language
    config = config.model_copy(update={"rules_dir": rules, "notify": [NotifySettings(url=hook.url, language="en"),
                                                                      NotifySettings(url=japanese)],
                                       "evidence": config.evidence.model_copy(update={"enabled": False})})
    small = generate(seed=11, size=40)
    flagged = [x for x in small.section("auction") if x.expected_rules]
    copies = [replace(x, item_id=f"x{300000 + i * 100 + k}") for k in range(4) for i, x in enumerate(flagged)]
    big = Catalog(small.seed, [*small.listings, *copies], small.sellers)  # the same labels, five times over
    sent: list[list[str]] = []

    def run(catalog, faults=None, hours=0):
        clock.now += timedelta(hours=hours)
        before = len(hook.received)
        with serve_demo(catalog, faults=faults) as server, Store(config.database) as store:
            target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"])
            summary = start_audit(config, store, AuditOptions(targets=[target], clock=clock))
        sent.append([m["title"] for m in hook.received[before:] if m["path"] == "/hook"])
        return summary

    run(small)                                   # 1: new hits, a seller crossing a seller rule
    run(small, hours=25)                         # 2: nothing new; yesterday's hits now wait over 24 hours
    third = run(small, {"/auction/": "redesign"}, hours=1)  # 3: the marketplace changed its markup
    run(small, hours=1)                          # 4: it is back
    run(big, hours=1)                            # 5: a rule floods: hits far above the 3 usual runs
    run(big, hours=1)                            # 6: it still floods: not told again
    events = [[m for m in titles] for titles in sent]
    assert "need a decision" in " ".join(events[0]) and "crossed a seller rule" in " ".join(events[0])
    assert not [t for t in events[1] if "need a decision" in t or "seller rule" in t]
    assert [t for t in events[1] if "waited over 24 hours" in t]
    assert [t for t in events[2] if "far fewer listings" in t], (events[2], third.incomplete, third.status, third.listings_seen)
    assert [t for t in events[4] if "rules flood" in t] and not [t for t in events[5] if "rules flood" in t]
    with Store(config.database) as store:
        told = Counter(r["event"] for r in store.db.query("select event from notifications where sent = 1"))
    # once to each of the two destinations
    assert told["rule_flood"] == 2 and told["drift"] == 2 and told["unreviewed"] == 2, told
    assert told["seller_rule"] >= 2 and told["new_critical"] >= 4  # run 5's new listings are new hits too
    assert all("/img/" not in m["message"] and "<img" not in m["message"] for m in hook.received)
    # the destination with no language of its own is told in the reports' (Japanese): every event, no English left
    english = Counter(m["type"] for m in hook.received if m["path"] == "/hook")
    ja = [m for m in hook.received if m["path"] == "/ja"]
    assert Counter(m["type"] for m in ja) == english and len(ja) >= 7
    assert [t for t in (m["title"] for m in ja) if "要判断" in t] and [t for t in (m["title"] for m in ja) if "急増" in t]
    assert untranslated(" ".join(m["title"] + " " + m["message"] for m in ja)) == []
    [waiting] = [m for m in ja if "時間以上判断を待っています" in m["title"]]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d から待機中", waiting["message"])  # a time with its zone
    doc = BeautifulSoup((Path(third.report_dir) / "report.html").read_text(encoding="utf-8"), "lxml")
    row = doc.select_one("section#health tr[data-target=auction]")
    assert row is not None and "drift" in row["class"] and "出品を 1 件も読めませんでした" in row.text  # the reports' language
    english = BeautifulSoup((Path(third.report_dir) / "report.en.html").read_text(encoding="utf-8"), "lxml")
    assert "read no listing" in english.select_one("section#health tr[data-target=auction]").text
    auction = str(len(small.section("auction")))
    assert row.select("td")[2].text.split(" · ") == [auction, auction]  # the trend: the two runs before


def test_health_notify_tells_of_a_missing_run_once(tmp_path, hook):  # noqa: F811
    p = tmp_path / "config.yaml"
    p.write_text(f"database: {tmp_path}/a.db\nnotify:\n  - url: {hook.url}\n    on: [no_run]\n", encoding="utf-8")
    first = CliRunner().invoke(cli, ["--config", str(p), "health", "--notify"])
    again = CliRunner().invoke(cli, ["--config", str(p), "health", "--notify"])
    assert (first.exit_code, again.exit_code) == (5, 5)  # no scheduled run has finished yet
    assert [m["title"] for m in hook.received] == ["auditor: 日次監査が実行されませんでした"]  # the reports' language: ja
    assert "auditor schedule" in hook.received[0]["message"]


def test_a_partial_run_and_a_target_that_read_nothing_are_each_told_once(config, small_catalog, hook):  # noqa: F811
    config = config.model_copy(update={"notify": [NotifySettings(url=hook.url, on=["run_partial", "target_empty"], language="en")],
                                       "evidence": config.evidence.model_copy(update={"enabled": False}),
                                       "crawl": config.crawl.model_copy(update={"retries": 0, "page_timeout_seconds": 3})})
    with serve_demo(small_catalog) as server, Store(config.database) as store:
        targets = [Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"]),
                   Target(name="gone", site="demo_auction", start_urls=["http://127.0.0.1:9/auction/search"])]
        summary = start_audit(config, store, AuditOptions(targets=targets))
    assert summary.status == "partial"
    titles = sorted(m["title"] for m in hook.received)
    assert titles == [f"auditor: run #{summary.run_id} (manual) was partial",
                      f"auditor: target gone read nothing in run #{summary.run_id} (manual)"]


def test_a_scheduled_run_that_cannot_write_its_folders_is_told_at_once(tmp_path, hook):  # noqa: F811
    """The reports folder cannot be made (a file stands where it should be, as a full or read-only disk refuses
    it): no run begins, so no run alert would follow; the scheduler tells run_failed destinations itself."""
    from auditor.ops.schedule import scheduled_run

    (tmp_path / "blocker").write_text("a file where the reports folder's parent should be", encoding="utf-8")
    p = tmp_path / "config.yaml"
    p.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/blocker/reports\nrules_dir: {RULES}\n"
                 f"notify:\n  - url: {hook.url}\n    on: [run_failed]\ntargets:\n"
                 "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search']}\n", encoding="utf-8")
    scheduled_run(str(p))
    [told] = hook.received
    assert told["title"] == "auditor: 定期の実行を開始できませんでした" and told["type"] == "failure"
    assert "cannot write the reports folder" in told["message"] and "reports_dir" in told["message"]
    with Store(tmp_path / "a.db") as store:
        assert store.count("runs") == 0 and [r["event"] for r in store.db.query("select event from notifications")] \
            == ["run_failed"]
