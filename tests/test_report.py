"""The report: what was flagged, by whom, why; scraped text escaped in every format."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from auditor.models import Hit, Listing, Match, PageFailure, PageKind, RunSummary
from auditor.report import build_report, compile_report
from auditor.report.compile import highlight, Segment
from auditor.report.render import markdown_text, neutralize_cell, safe_url

T0 = datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc)  # 06:30 on the 25th in Tokyo
TOKYO = ZoneInfo("Asia/Tokyo")
XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def fill(store):
    run = store.start_run(T0, ["demo"], [])
    items = [
        (Listing("demo_auction", "x1", "http://h/auction/item/x1", "【AI美女】ポスター A3", price=Decimal(30000),
                 currency="JPY", bids=5, seller_id="big", seller_name="AIギャラリー", status="sold"),
         [Hit("ai_poster.sold_as_print", "AI beauty label on a poster", "critical", (), (Match("title", "AI美女", 1, 5),)),
          Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", 1, 5),))]),
        (Listing("demo_auction", "x2", "javascript:alert(3)", XSS + " AI美女", price=Decimal(2000), currency="JPY",
                 seller_id="=HYPERLINK(\"http://evil\")", seller_name=XSS, status="active"),
         [Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", len(XSS) + 1, len(XSS) + 5),))]),
        (Listing("demo_auction", "x3", "http://h/auction/item/x3", "ピエロ フィギュア", price=Decimal(500), currency="JPY"), []),
    ]
    for x, hits in items:
        store.record_listing(run, "demo", x, hits, T0)
    store.finish_run(RunSummary(run, "completed", T0, T0 + timedelta(seconds=9), ["demo"], pages_ok=4,
                                listings_seen=3, flagged=2, hits=3))
    return run


def test_compiled_report_groups_hits_by_listing_and_ranks_sellers(store):
    report = compile_report(store, fill(store), TOKYO)
    assert report.day.isoformat() == "2026-11-25"  # the run's day in the configured zone
    assert [x.item_id for x in report.listings] == ["x1", "x2"]  # critical first
    assert report.previous_run is None and report.counts["new"] == 2  # a first run: every hit is new
    assert report.listings[0].severity == "critical"
    assert [r["id"] for r in report.listings[0].rules] == ["ai_poster.sold_as_print", "ai_poster.label"]
    assert len(report.hits) == 3
    assert report.by_severity == {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0}
    assert [(t.rule_id, t.today, t.counts[-1]) for t in report.trends] == [
        ("ai_poster.label", 2, 2), ("ai_poster.sold_as_print", 1, 1)]
    big = report.sellers[0]
    assert (big.seller_id, big.flagged, big.sold_total, big.asking_total) == ("big", 1, Decimal(30000), Decimal(0))


def test_report_files_are_written_and_scraped_text_cannot_run(store, tmp_path):
    folder = build_report(store, fill(store), tmp_path / "reports", TOKYO)
    assert folder == tmp_path / "reports" / "2026-11-25"
    assert sorted(p.name for p in folder.iterdir()) == ["hits.csv", "hits.json", "report.html", "report.md", "summary.json"]
    html = (folder / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    from bs4 import BeautifulSoup
    csp = BeautifulSoup(html, "lxml").select_one("meta[http-equiv=Content-Security-Policy]")["content"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<mark>AI美女</mark>" in html
    rows = list(csv.DictReader(io.StringIO((folder / "hits.csv").read_text())))
    assert {r["seller_id"] for r in rows} == {"big", "'=HYPERLINK(\"http://evil\")"}
    data = json.loads((folder / "hits.json").read_text())
    assert {h["seller_id"] for h in data["hits"]} == {"big", "=HYPERLINK(\"http://evil\")"}  # JSON keeps the value
    md = (folder / "report.md").read_text()
    assert "<script>" not in md and "**2 flagged listings**: 1 critical, 1 high." in md


def test_highlight_marks_overlapping_spans_once():
    assert highlight("xAI美女y", [(1, 3), (2, 5)]) == [Segment("x", False), Segment("AI美女", True), Segment("y", False)]


def test_only_http_urls_become_links():
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None
    assert safe_url("data:text/html,<b>") is None


def test_formula_cells_and_markdown_are_neutralised():
    assert [neutralize_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert markdown_text("[click](http://evil) <b>*x*</b>") == "\\[click\\]\\(http://evil\\) \\<b\\>\\*x\\*\\</b\\>"


AI = Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", 0, 4),))


def _listing(item_id: str, status: str = "active") -> Listing:
    return Listing("demo_auction", item_id, f"http://h/auction/item/{item_id}", f"AI美女 ポスター {item_id}",
                   price=Decimal(3000), currency="JPY", seller_id="s1", status=status)


def _run(store, at, flagged: list[Listing], failed: list[str] = ()) -> int:
    run = store.start_run(at, ["demo"], [])
    for x in flagged:
        store.record_listing(run, "demo", x, [AI], at)
    for item_id in failed:
        store.record_failure(run, PageFailure("demo", f"http://h/auction/item/{item_id}", "timeout", "slow", 2,
                                              PageKind.ITEM), at)
    store.finish_run(RunSummary(run, "completed", at, at, ["demo"], pages_ok=len(flagged) + 1,
                                listings_seen=len(flagged), flagged=len(flagged)))
    return run


def test_hits_are_new_still_active_gone_or_unchecked_against_the_previous_run(store):
    _run(store, T0, [_listing("kept"), _listing("sold"), _listing("removed"), _listing("failed")])
    second = _run(store, T0 + timedelta(days=1), [_listing("kept"), _listing("sold", "sold"), _listing("fresh")],
                  failed=["failed"])
    report = compile_report(store, second, TOKYO)
    state = {x.item_id: (x.state, x.reason) for x in report.listings}
    assert state == {"fresh": ("new", None), "kept": ("active", None), "sold": ("gone", "sold"),
                     "removed": ("gone", "no longer listed"), "failed": ("unchecked", "its page failed in this run")}
    assert report.counts == {"new": 1, "active": 1, "gone": 2, "unchecked": 1}
    assert {h["item_id"]: h["state"] for h in report.hits}["removed"] == "gone"
    [seller] = report.sellers  # the sold poster counts as earned, the removed one not at all
    assert (seller.flagged, seller.sold_total, seller.asking_total) == (3, Decimal(3000), Decimal(6000))
    assert report.trends[0].counts[-2:] == [4, 3]  # yesterday and today


def test_csv_neutralises_every_formula_cell_and_json_keeps_the_values(store, tmp_path):
    nasty = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    run = store.start_run(T0, ["demo"], [])
    for i, value in enumerate(nasty):
        x = Listing("demo_auction", value, "http://h/i", value + " AI美女", seller_id=value, seller_name=value,
                    category=value, status="active")
        store.record_listing(run, "demo", x, [Hit("ai_poster.label", value, "high", (), (Match("title", "AI美女", len(value) + 1, len(value) + 5),))], T0)
    store.finish_run(RunSummary(run, "completed", T0, T0, ["demo"], pages_ok=1))
    folder = build_report(store, run, tmp_path / "reports", TOKYO)
    rows = list(csv.DictReader(io.StringIO((folder / "hits.csv").read_text(encoding="utf-8"), newline="")))
    assert len(rows) == len(nasty)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    data = json.loads((folder / "hits.json").read_text(encoding="utf-8"))
    assert sorted(h["item_id"] for h in data["hits"]) == sorted(nasty)
    for h in data["hits"]:
        assert h["seller_id"] == h["seller_name"] == h["item_id"] and h["title"] == h["item_id"] + " AI美女"
        assert h["rule_title"] == h["item_id"]


def test_the_archive_index_lists_every_day_newest_first(store, tmp_path):
    first = _run(store, T0, [_listing("a")])
    second = _run(store, T0 + timedelta(days=1), [_listing("a"), _listing("b")])
    build_report(store, first, tmp_path / "reports", TOKYO)
    build_report(store, second, tmp_path / "reports", TOKYO)
    from bs4 import BeautifulSoup
    doc = BeautifulSoup((tmp_path / "reports" / "index.html").read_text(), "lxml")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in doc.select("tbody tr")]
    assert [r[0] for r in rows] == ["2026-11-26", "2026-11-25"]
    assert [r[4] for r in rows] == ["1", "1"]  # new hits: b on the second day, a on the first
    assert doc.select_one("a[href='2026-11-26/report.html']") is not None
