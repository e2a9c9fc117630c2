"""The daily picture over simulated days: real crawler, real Chromium for the flea market, the demo server
on 127.0.0.1, a real SQLite file. Every listing's state must equal the ground truth, every day."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.config import Target
from auditor.demo import DemoWorld, serve_demo
from auditor.demo.days import confirm_true_hits, run_days
from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.demo.server import PER_PAGE
from auditor.demo.world import SKELETON_PAGE
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import FixedClock

pytestmark = pytest.mark.e2e


def tree_hash(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def demo_config(config, tmp_path):
    return config.model_copy(update={"demo": config.demo.model_copy(update={"listings": 60})})


def test_every_listing_state_equals_the_ground_truth_on_every_day(demo_config):
    days = []
    for d in run_days(demo_config, 4, today=date(2026, 11, 26)):  # each day's report counts what the queues hold then
        with Store(demo_config.database) as store:
            counts = store.needs_decision_counts()
        said = json.loads((Path(d.summary.day_report_dir) / "summary.json").read_text())
        assert (said["needs_for_sale"], said["needs_sold"]) == (counts["for_sale"], counts["sold_ended"]), d.day
        days.append(d)
    for d in days:
        assert (d.precision, d.recall) == (1.0, 1.0), d.day
        assert d.wrong == {}, (d.day, d.wrong)
    world = DemoWorld(demo_config.demo.seed, 60)
    assert [sorted(d.summary.incomplete) for d in days] == [[], [], ["demo-fleamarket"], []]  # day 3: the flea market fails
    assert days[2].summary.status == "partial"
    for d in days:  # (a capture that timed out on a loaded machine makes a run partial too, and says so)
        assert d.summary.status == "completed" or d.summary.evidence_failed or d.summary.incomplete, d.day
    assert days[2].summary.states.get("unchecked", 0) > 0 and "gone" not in {
        s for k, s in world.states(3).items() if k[0] == "demo_fleamarket"}
    # day 2: the auction search's second page came as a skeleton; read again through the browser, its listings
    # are all there (recall 1.00 and no target partial, above) and nothing on it is gone
    assert world.faults(2).get(SKELETON_PAGE) == "skeleton-js"
    second_page = {x.key for x in world.catalog(2).section("auction")[PER_PAGE:2 * PER_PAGE]}
    assert second_page & world.flagged_truth(2) and "gone" not in {world.states(2)[k] for k in second_page
                                                                    if k in world.states(2) and k not in world.refusals(2)}
    refused = {(d, k): kind for d in range(2, 5) for k, kind in world.refusals(d).items()}
    assert set(refused.values()) == {"botwall", "age-gate", "removed"}  # every page state, on every later day
    with Store(demo_config.database) as store:
        for (d, key), kind in refused.items():  # each page said what it was, and the states above agree with it
            said = {f["kind"] for f in store.failures_for_run(days[d - 1].summary.run_id) if f["url"].endswith(f"/{key[1]}")}
            assert said == {{"botwall": "blocked", "age-gate": "age_gate", "removed": "removed"}[kind]}, (d, key, said)
            assert world.states(d)[key] == ("gone" if kind == "removed" else "unchecked")
        kept = {r["url"].rsplit("/", 1)[1]: r["run_id"] for r in store.removed_pages()}
        for (d, key), kind in refused.items():  # a removed page is kept as the proof of its removal
            if kind == "removed":
                assert kept.get(key[1]) == days[d - 1].summary.run_id, (d, key, kept)
    assert counts["for_sale"] > 0 and counts["sold_ended"] > 0  # the demo's big seller sells most of its posters
    planted = {e: k for d in range(2, 5) for k, e in world.day(d).events.items() if e in ("evaded", "escalated")}
    assert {"evaded", "escalated"} <= set(planted)
    with Store(demo_config.database) as store:
        evaded = planted["evaded"]
        history = [s["state"] for s in store.state_history(*evaded)]
        assert "evaded" in history
        captures = sorted({r["folder"] for r in store.evidence_for([evaded])[evaded]})
        assert len(captures) == 2  # the flagged page, and a fresh capture of the edited one
        edited = next(d for d in range(2, 5) if world.day(d).events.get(evaded) == "evaded")
        assert captures[-1] > captures[0] and store.evidence_for([evaded])[evaded][0]["run_id"] == days[edited - 1].summary.run_id
        assert history[-1] in ("evaded", "gone")
        assert "escalated" in [s["state"] for s in store.state_history(*planted["escalated"])]
    # the first day's run report is untouched by the three days after it
    reports = demo_config.reports_dir
    assert (reports / "runs" / "1" / "report.html").is_file()
    doc = BeautifulSoup((Path(days[1].summary.day_report_dir) / "report.html").read_text(), "lxml")
    row = doc.select_one(f"tr[data-item='{evaded[0]}/{evaded[1]}']") or doc.select_one("section#evaded tr[data-state=evaded]")
    assert row is not None and row.select_one(".now") is not None  # before and after, side by side
    assert doc.select_one("section#evaded") is not None and doc.select("section")[1]["id"] == "evaded"  # on top


def test_a_run_report_is_byte_identical_after_later_runs(demo_config):
    gen = run_days(demo_config, 3, today=date(2026, 11, 26))
    first = next(gen)
    run_dir, day_dir = Path(first.summary.report_dir), Path(first.summary.day_report_dir)
    before = (tree_hash(run_dir), tree_hash(day_dir))
    rest = list(gen)
    assert len(rest) == 2
    assert (tree_hash(run_dir), tree_hash(day_dir)) == before


def test_an_ad_hoc_run_and_a_target_run_between_two_daily_runs_change_nothing(demo_config):
    world = DemoWorld(demo_config.demo.seed, 60, epoch=datetime(2026, 11, 24, 21, tzinfo=timezone.utc))
    clock = FixedClock(datetime(2026, 11, 24, 21, tzinfo=timezone.utc))

    def audit(day, kind, targets):
        with Store(demo_config.database) as store:
            s = start_audit(demo_config, store, AuditOptions(targets=targets, kind=kind, clock=clock,
                                                           hosts=demo_hosts(demo_config, world, day)))
            return s, {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(s.run_id)}

    first, states = audit(1, "scheduled", demo_targets())
    assert states == world.states(1)
    with Store(demo_config.database) as store:  # the reviewer confirms the day's hits: their pictures are banked
        assert confirm_true_hits(demo_config, store, world, 1, first.run_id, clock()) > 0
    clock.now += timedelta(hours=4)
    adhoc, _ = audit(1, "adhoc", [Target(name="adhoc-demo-auction", site="demo_auction", start_urls=["demo:/auction/search?q=AI"])])
    assert adhoc.day_report_dir is None and Path(adhoc.report_dir).name == str(adhoc.run_id)
    clock.now += timedelta(hours=1)
    manual, states = audit(1, "manual", [demo_targets()[0]])
    assert set(states.values()) <= {"active"}  # the same world: nothing changed for the auction section
    clock.now += timedelta(hours=19)
    second, states = audit(2, "scheduled", demo_targets())
    assert states == world.states(2)
    assert any(s in ("evaded", "escalated", "gone") for s in states.values())
    day1 = json.loads((Path(manual.day_report_dir) / "summary.json").read_text())
    assert {c["target"]: c["run_id"] for c in day1["covers"]} == {"demo-auction": manual.run_id,
                                                                 "demo-fleamarket": first.run_id}


def test_a_search_cards_label_is_flagged_when_its_item_page_returns_403(config, small_catalog):
    poster = next(x for x in small_catalog.section("auction") if "AI美女" in x.title or "ＡＩ美女" in x.title)
    target = Target(name="auction", site="demo_auction", start_urls=["http://placeholder/auction/search"])
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    with serve_demo(small_catalog, faults={f"/auction/item/{poster.item_id}": "403"}) as server:
        target = target.model_copy(update={"start_urls": [server.url + "/auction/search"]})
        with Store(config.database) as store:
            s = start_audit(config, store, AuditOptions(targets=[target]))
            obs = store.db.execute("select source from observations where item_id = ?", [poster.item_id]).fetchall()
            hits = {r["rule_id"] for r in store.db.query("select rule_id from hits where item_id = ?", [poster.item_id])}
            [state] = [r for r in store.states_of_run(s.run_id) if r["item_id"] == poster.item_id]
    assert obs == [("card",)] and "ai_poster.label" in hits
    assert (state["state"], state["source"]) == ("new", "card")
    html = (Path(s.day_report_dir) / "report.html").read_text()
    row = BeautifulSoup(html, "lxml").select_one(f"tr[data-item='demo_auction/{poster.item_id}']")
    assert row is not None and "検索結果のカードのみから読み取り" in row.get_text()  # "read from the search card only"


PRODUCT = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", "sku": "p-1",
"name": "AI美女 ポスター A3 光沢紙", "offers": {"@type": "Offer", "price": "3000", "priceCurrency": "JPY"}}</script>
</head><body><h1>AI美女 ポスター A3 光沢紙</h1></body></html>"""


def test_a_start_url_is_read_as_what_it_shows(config, tmp_path):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "product.html").write_text(PRODUCT, encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/product.html"
        with Store(config.database) as store:  # schema_org reads a URL as a search page unless its content says item
            s = start_audit(config, store, AuditOptions(targets=[Target(name="adhoc-schema-org", site="schema_org",
                                                                      start_urls=[url])], kind="adhoc"))
            rows = list(store.db["listings"].rows)
            hits = {r["rule_id"] for r in store.db["hits"].rows}
    finally:
        server.shutdown()
    assert (s.status, s.pages_failed) == ("completed", 0)
    assert [r["title"] for r in rows] == ["AI美女 ポスター A3 光沢紙"] and "ai_poster.label" in hits


def test_a_run_that_fails_on_a_broken_rule_file_leaves_every_earlier_hit_unchecked(demo_config, tmp_path):
    import shutil

    from auditor.errors import RuleError

    rules = tmp_path / "rules"
    shutil.copytree(demo_config.rules_dir, rules)
    config = demo_config.model_copy(update={"rules_dir": rules})
    world = DemoWorld(config.demo.seed, 60, epoch=datetime(2026, 11, 24, 21, tzinfo=timezone.utc))
    clock = FixedClock(datetime(2026, 11, 24, 21, tzinfo=timezone.utc))

    def audit(day):
        with Store(config.database) as store:
            return start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                                         hosts=demo_hosts(config, world, day)))

    first = audit(1)
    with Store(config.database) as store:
        confirm_true_hits(config, store, world, 1, first.run_id, clock())
    (rules / "broken.yaml").write_text("rules:\n  - {id: broken.x, title: x\n", encoding="utf-8")  # a '}' missing
    clock.now += timedelta(days=1)
    with pytest.raises(RuleError):
        audit(2)
    with Store(config.database) as store:
        failed = store.runs(1)[0]
        states = {r["state"] for r in store.states_of_run(failed["id"])}
        followed = {(r["site"], r["item_id"]) for r in store.followed(["demo-auction", "demo-fleamarket"])}  # the picture, untouched
        unchecked = {(r["site"], r["item_id"]) for r in store.states_of_run(failed["id"])}
    assert failed["status"] == "failed" and "broken.yaml" in failed["error"]
    assert states == {"unchecked"} and unchecked == followed and len(followed) >= 5  # every one, none gone
    report = Path(config.reports_dir) / "2026-11-26" / "report.html"  # the failed day still has its report
    doc = BeautifulSoup(report.read_text(encoding="utf-8"), "lxml")
    assert "broken.yaml" in doc.select_one("[role=alert]").get_text()
    assert doc.select_one("section#gone") is None and doc.select("section#unchecked tr[data-state=unchecked]")
    (rules / "broken.yaml").unlink()
    clock.now += timedelta(days=1)
    third = audit(2)  # compared with the last day that read them, not with the failed one
    with Store(config.database) as store:
        got = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(third.run_id)}
    assert got == world.states(2)
