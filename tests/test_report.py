"""The report: what was flagged, by whom, why; scraped text escaped in every format."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from auditor.models import Hit, Listing, Match, RunSummary
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
    assert report.listings[0].severity == "critical"
    assert [r["id"] for r in report.listings[0].rules] == ["ai_poster.sold_as_print", "ai_poster.label"]
    assert len(report.hits) == 3
    assert report.by_severity == {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0}
    big = report.sellers[0]
    assert (big.seller_id, big.flagged, big.sold_total, big.asking_total) == ("big", 1, Decimal(30000), Decimal(0))


def test_report_files_are_written_and_scraped_text_cannot_run(store, tmp_path):
    folder = build_report(store, fill(store), tmp_path / "reports", TOKYO)
    assert folder == tmp_path / "reports" / "2026-11-25"
    assert sorted(p.name for p in folder.iterdir()) == ["hits.csv", "hits.json", "report.html", "report.md"]
    html = (folder / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "default-src 'none'" in html
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
