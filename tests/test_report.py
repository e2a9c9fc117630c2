"""The report: what was flagged, by whom, why, in what state; scraped text escaped in every format;
written once and never changed afterwards."""

import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from auditor.models import Hit, Listing, Match, PageFailure, PageKind, RunSummary
from auditor.report import compile_run_report, write_reports
from auditor.report.compile import Segment, highlight
from auditor.report.render import markdown_code, markdown_text, neutralize_cell, safe_url
from auditor.run.settle import settle_run

T0 = datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc)  # 06:30 on the 25th in Tokyo
TOKYO = ZoneInfo("Asia/Tokyo")
XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>'
AI = Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", 0, 4),))


def audit(store, at, flagged, failed=(), kind="manual", target="demo", incomplete=None, error=None):
    """One run as the pipeline records it: listings, failures, per-target completeness, states, the end."""
    run = store.start_run(at, [target], [], kind=kind)
    for x, hits in flagged:
        store.record_listing(run, target, x, hits, at)
    for item_id in failed:
        store.record_failure(run, PageFailure(target, f"http://h/auction/item/{item_id}", "timeout", "slow", 2,
                                              PageKind.ITEM), at)
    store.record_target(run, target, complete=not incomplete and not error, reason=incomplete, pages_ok=len(flagged),
                        pages_failed=len(failed), listings=len(flagged))
    settle_run(store, run, [target], kind, at, failed=error, incomplete={target: incomplete} if incomplete else {})
    status = "failed" if error else ("partial" if incomplete else "completed")
    store.finish_run(RunSummary(run, status, at, at + timedelta(seconds=9), [target], pages_ok=len(flagged) + 1,
                                listings_seen=len(flagged)), error=error)
    return run


def _listing(item_id: str, status: str = "active", title: str | None = None, **kw) -> Listing:
    return Listing("demo_auction", item_id, f"http://h/auction/item/{item_id}", title or f"AI美女 ポスター {item_id}",
                   price=Decimal(3000), currency="JPY", seller_id="s1", status=status, **kw)


def fill(store):
    return audit(store, T0, [
        (Listing("demo_auction", "x1", "http://h/auction/item/x1", "【AI美女】ポスター A3", price=Decimal(30000),
                 currency="JPY", bids=5, seller_id="big", seller_name="AIギャラリー", status="active",
                 end_time=T0 + timedelta(hours=3)),
         [Hit("ai_poster.sold_as_print", "AI beauty label on a poster", "critical", (), (Match("title", "AI美女", 1, 5),)),
          Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", 1, 5),))]),
        (Listing("demo_auction", "x2", "javascript:alert(3)", XSS + " AI美女", price=Decimal(2000), currency="JPY",
                 seller_id="=HYPERLINK(\"http://evil\")", seller_name=XSS, status="active"),
         [Hit("ai_poster.label", "AI-generated beauty label", "high", (), (Match("title", "AI美女", len(XSS) + 1, len(XSS) + 5),))]),
        (Listing("demo_auction", "x3", "http://h/auction/item/x3", "ピエロ フィギュア", price=Decimal(500), currency="JPY"), []),
    ])


def test_a_run_report_groups_hits_by_listing_critical_first(store, tmp_path):
    report = compile_run_report(store, fill(store), TOKYO, tmp_path)
    assert report.day.isoformat() == "2026-11-25"  # the run's day in the configured zone
    assert [x.item_id for x in report.listings] == ["x1", "x2"]
    assert report.counts["new"] == 2 and report.needs_decision == 2  # a first run: every hit is new
    assert report.listings[0].severity == "critical"
    assert [r["id"] for r in report.listings[0].rules] == ["ai_poster.sold_as_print", "ai_poster.label"]
    assert len(report.hits) == 3
    assert report.by_severity == {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0}
    assert [(t.rule_id, t.today, t.counts[-1]) for t in report.trends] == [
        ("ai_poster.label", 2, 2), ("ai_poster.sold_as_print", 1, 1)]
    big = next(s for s in report.sellers if s.seller_id == "big")
    assert (big.flagged, big.asking_total) == (1, Decimal(30000))


def test_report_files_are_written_and_scraped_text_cannot_run(store, tmp_path):
    run_dir, day_dir = write_reports(store, fill(store), tmp_path / "reports", TOKYO)
    assert run_dir == tmp_path / "reports" / "runs" / "1" and day_dir == tmp_path / "reports" / "2026-11-25"
    for folder in (run_dir, day_dir):
        assert sorted(p.name for p in folder.iterdir()) == ["hits.csv", "hits.json", "report.html", "report.ja.html",
                                                            "report.md", "summary.json"]  # and the report in Japanese
    japanese = (day_dir / "report.ja.html").read_text()
    assert '<html lang="ja">' in japanese and "<script>alert(1)</script>" not in japanese
    html = (day_dir / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    csp = BeautifulSoup(html, "lxml").select_one("meta[http-equiv=Content-Security-Policy]")["content"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<mark>AI美女</mark>" in html
    raw = (day_dir / "hits.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel on Japanese Windows reads UTF-8 right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["seller_id"] for r in rows} == {"big", "'=HYPERLINK(\"http://evil\")"}
    data = json.loads((day_dir / "hits.json").read_text())
    assert {h["seller_id"] for h in data["hits"]} == {"big", "=HYPERLINK(\"http://evil\")"}  # JSON keeps the value
    md = (day_dir / "report.md").read_text()
    assert "<script>" not in md and "**2 flagged listings**: 1 critical, 1 high." in md
    assert "**2 listings need a decision**: 2 for sale (the queue), 0 sold or ended (for the seller)." in md


def test_the_venues_labels_stand_beside_the_title_in_every_format(store, tmp_path):
    marked = _listing("x9", title="美人画 ポスター A3", labels=("adult", "ai_generated"))
    hit = Hit("ai_poster.venue_adult_print", "Venue marks it adult and AI", "critical", (),
              (Match("labels", "adult", 0, 5, 0), Match("labels", "ai_generated", 0, 12, 1)))
    _, day_dir = write_reports(store, audit(store, T0, [(marked, [hit])]), tmp_path / "reports", TOKYO)
    row = BeautifulSoup((day_dir / "report.html").read_text(), "lxml").select_one('tr[data-item="demo_auction/x9"]')
    assert [b.get_text() for b in row.select(".label")] == ["adult (venue's mark)", "AI (venue's mark)"]
    ja = tmp_path / "ja"
    _, day_ja = write_reports(store, 1, ja, TOKYO, language="ja")
    assert "成人向け（サイト表示）" in (day_ja / "report.html").read_text()
    assert "[adult (venue's mark)] [AI (venue's mark)]" in (day_dir / "report.md").read_text()
    (csv_row,) = csv.DictReader(io.StringIO((day_dir / "hits.csv").read_text("utf-8-sig")))
    assert csv_row["labels"] == "adult | ai_generated"
    assert json.loads((day_dir / "hits.json").read_text())["hits"][0]["labels"] == ["adult", "ai_generated"]


def test_every_time_a_user_reads_carries_the_zone_offset_and_json_keeps_utc(store, tmp_path):
    _, day_dir = write_reports(store, fill(store), tmp_path / "reports", TOKYO)
    doc = BeautifulSoup((day_dir / "report.html").read_text(), "lxml")
    shown = [td.get_text(" ", strip=True) for td in doc.select("table.hits td.nowrap")]
    assert shown and all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\+09:00", s) or s == "–" for s in shown)
    assert "2026-11-25 06:30+09:00" in doc.get_text()  # the run's start, in Tokyo
    assert "UTC" not in doc.select_one("header").get_text()
    md = (day_dir / "report.md").read_text()
    assert "started 2026-11-25 06:30+09:00" in md
    rows = list(csv.DictReader(io.StringIO((day_dir / "hits.csv").read_text(encoding="utf-8-sig"))))
    assert {r["first_seen"] for r in rows} == {"2026-11-25 06:30:00+09:00"}
    assert next(r for r in rows if r["item_id"] == "x1")["end_time"] == "2026-11-25 09:30:00+09:00"
    data = json.loads((day_dir / "hits.json").read_text())
    assert data["summary"]["started_at"] == "2026-11-24T21:30:00Z"
    assert {h["first_seen"] for h in data["hits"]} == {"2026-11-24T21:30:00Z"}


def test_highlight_marks_overlapping_spans_once():
    assert highlight("xAI美女y", [(1, 3), (2, 5)]) == [Segment("x", False), Segment("AI美女", True), Segment("y", False)]


def test_only_http_urls_become_links():
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None
    assert safe_url("data:text/html,<b>") is None


def test_formula_cells_and_markdown_are_neutralised_and_ids_kept_exactly():
    assert [neutralize_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert markdown_text("[click](http://evil) <b>*x*</b>") == "\\[click\\](http://evil) \\<b\\>\\*x\\*\\</b\\>"
    assert markdown_text("AI-Beauty poster A3 #450.") == "AI-Beauty poster A3 #450."  # nothing needless escaped
    assert markdown_code("ai_gallery_jp") == "`ai_gallery_jp`"
    assert markdown_code("a`b") == "``a`b``" and markdown_code("`x") == "`` `x ``"


def test_states_against_each_listings_own_last_state(store):
    audit(store, T0, [(_listing(k), [AI]) for k in ("kept", "sold", "removed", "failed", "edited")])
    second = audit(store, T0 + timedelta(days=1),
                   [(_listing("kept"), [AI]), (_listing("sold", "sold"), [AI]), (_listing("fresh"), [AI]),
                    (_listing("edited", title="A1美女 ポスター edited"), [])],
                   failed=["failed"])
    report = compile_run_report(store, second, TOKYO, Path("."))
    state = {x.item_id: (x.state, x.reason) for x in report.listings}
    assert state == {"fresh": ("new", None), "kept": ("active", None), "sold": ("gone", "sold"),
                     "edited": ("evaded", "edited; no rule matches any more"),
                     "removed": ("unchecked", "not read: its page was not reached in this run"),
                     "failed": ("unchecked", "its page failed: timeout (slow)")}
    evaded = next(x for x in report.listings if x.state == "evaded")
    assert evaded.title == "AI美女 ポスター edited" and evaded.current_title == "A1美女 ポスター edited"
    assert [s.text for s in evaded.title_segments if s.matched] == ["AI美女"]  # the matched text, highlighted where it was
    assert report.counts["evaded"] == 1 and report.needs_decision == 5  # never decided: evaded, new, "kept", and
    # the two unread today (unchecked), which the console's queue holds too
    assert store.needs_decision_counts() == {"for_sale": 5, "sold_ended": 0}
    assert report.listings[0].item_id == "edited"  # evasions first


def test_escalation_is_a_new_or_more_severe_rule_on_a_flagged_listing(store):
    audit(store, T0, [(_listing("a"), [AI]), (_listing("b"), [AI])])
    worse = Hit("adult.terms", "adult", "critical", (), (Match("title", "AI美女", 0, 4),))
    second = audit(store, T0 + timedelta(days=1), [(_listing("a"), [AI, worse]), (_listing("b"), [AI])])
    report = compile_run_report(store, second, TOKYO, Path("."))
    a = next(x for x in report.listings if x.item_id == "a")
    assert (a.state, a.added) == ("escalated", ["adult.terms"])
    assert next(x for x in report.listings if x.item_id == "b").state == "active"


def test_a_failed_run_leaves_every_earlier_hit_unchecked_and_none_gone(store, tmp_path):
    audit(store, T0, [(_listing(k), [AI]) for k in ("a", "b")])
    failed = audit(store, T0 + timedelta(days=1), [], error="rules/broken_x.yaml:7:1: YAML syntax")
    run_dir, day_dir = write_reports(store, failed, tmp_path / "reports", TOKYO)
    report = compile_run_report(store, failed, TOKYO, run_dir)
    assert {x.item_id: x.state for x in report.listings} == {"a": "unchecked", "b": "unchecked"}
    assert "broken_x.yaml" in report.listings[0].reason
    html = (day_dir / "report.html").read_text()
    assert 'role="alert"' in html and "broken.yaml" in html.replace("_x", "")
    md = (day_dir / "report.md").read_text()
    assert "**Run #2 failed:** `rules/broken_x.yaml:7:1: YAML syntax`" in md  # shown as it is, nothing escaped
    third = audit(store, T0 + timedelta(days=2), [(_listing("a"), [AI]), (_listing("b", "sold"), [AI])])
    states = {x.item_id: x.state for x in compile_run_report(store, third, TOKYO, Path(".")).listings}
    assert states == {"a": "active", "b": "gone"}  # compared with the last run that read them, not the failed one


def test_an_ad_hoc_run_changes_no_baseline(store):
    audit(store, T0, [(_listing("a"), [AI])])
    adhoc = audit(store, T0 + timedelta(hours=2), [(_listing("z"), [AI])], kind="adhoc", target="adhoc-x")
    assert {x.item_id: x.state for x in compile_run_report(store, adhoc, TOKYO, Path(".")).listings} == {"z": "new"}
    second = audit(store, T0 + timedelta(days=1), [(_listing("a"), [AI]), (_listing("z"), [AI])])
    assert {x.item_id: x.state for x in compile_run_report(store, second, TOKYO, Path(".")).listings} == {
        "a": "active", "z": "new"}  # z is new to the daily picture: the ad hoc run did not count


def tree_hash(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_written_report_never_changes_a_rebuild_goes_beside_it(store, tmp_path):
    reports = tmp_path / "reports"
    first = audit(store, T0, [(_listing("a"), [AI])])
    run_dir, day_dir = write_reports(store, first, reports, TOKYO)
    before = (tree_hash(run_dir), tree_hash(day_dir))
    again = write_reports(store, first, reports, TOKYO)
    assert again == (run_dir, day_dir)  # an identical rebuild writes nothing new
    later = audit(store, T0 + timedelta(hours=3), [(_listing("a"), [AI]), (_listing("b"), [AI])])
    later_run, later_day = write_reports(store, later, reports, TOKYO)
    assert later_day == reports / "2026-11-25.v2" and later_run == reports / "runs" / "2"
    assert (tree_hash(run_dir), tree_hash(day_dir)) == before
    index = BeautifulSoup((reports / "index.html").read_text(), "lxml")
    assert index.select_one("a[href='2026-11-25.v2/report.html']") is not None
    assert index.select_one("a[href='2026-11-25/report.html']") is None  # the index points at the latest version


def test_the_archive_index_lists_every_day_newest_first_and_the_runs(store, tmp_path):
    first = audit(store, T0, [(_listing("a"), [AI])])
    second = audit(store, T0 + timedelta(days=1), [(_listing("a"), [AI]), (_listing("b"), [AI])])
    write_reports(store, first, tmp_path / "reports", TOKYO)
    write_reports(store, second, tmp_path / "reports", TOKYO, language="ja")
    doc = BeautifulSoup((tmp_path / "reports" / "index.html").read_text(), "lxml")
    days = doc.select("table")[0]
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in days.select("tbody tr")]
    assert [r[0] for r in rows] == ["2026-11-26", "2026-11-25"]
    assert [r[5] for r in rows] == ["1", "1"]  # new: b on the second day, a on the first
    assert doc.html["lang"] == "ja" and "日次レポート" in doc.get_text()
    runs = [tr.select_one("a")["href"] for tr in doc.select("table")[1].select("tbody tr")]
    assert runs == ["runs/2/report.html", "runs/1/report.html"]


def test_csv_cells_stay_inert_after_leading_control_characters_spaces_and_full_width_signs():
    for value in ("\x00=1+1", " =1+1", "\u3000=WEBSERVICE(1)", "\u202e=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "\t\t=1"):
        assert neutralize_cell(value).startswith("'"), repr(value)
    assert neutralize_cell(" ordinary title") == " ordinary title"


def test_no_write_goes_through_a_link_planted_at_a_temporary_name(store, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in (".index.html.tmp", "index.tmp"):
        (reports / name).symlink_to(victim)
    write_reports(store, fill(store), reports, TOKYO)
    from auditor.evidence.files import write_manifest

    (tmp_path / "ev" / "manifests").mkdir(parents=True)
    (tmp_path / "ev" / "manifests" / "2026-11-25.tmp").symlink_to(victim)
    write_manifest(tmp_path / "ev", datetime(2026, 11, 25).date(), [("ab" * 32, "x/page.png")])
    assert victim.read_text() == "keep me"
    assert (reports / "index.html").is_file() and not (reports / "index.html").is_symlink()
