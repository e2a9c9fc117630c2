"""Report generation with thousands of hits, and how the page behaves in Chromium.

Fills a temporary database with two runs (so hits are new, still active and gone) of N flagged
listings, each with evidence files, then measures in this one run, on this machine:
  report    compile_day_report + publish: report.html, report.md, hits.csv, hits.json, thumbnails
  baseline  the least any report needs: the run's hit rows read from SQLite and dumped as JSON
  browser   report.html opened in headless Chromium: load time, and one filter keystroke over every row
and prints the times with the ratio; writes them into bench/results.json.

    .venv/bin/python bench/report.py [--hits 5000]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.crawl.install import choose_executable  # noqa: E402
from auditor.demo.server import placeholder_png  # noqa: E402
from auditor.evidence.files import save_snapshot  # noqa: E402
from auditor.models import Hit, Listing, Match, RunSummary, Snapshot  # noqa: E402
from auditor.report import compile_day_report, publish  # noqa: E402
from auditor.run.settle import settle_run  # noqa: E402
from auditor.store import Store  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
T0 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)
RULES = [("ai_poster.label", "high"), ("ai_poster.sold_as_print", "critical")]


def fill(store: Store, evidence: Path, listings: int) -> int:
    """Two runs; the second has `listings` flagged listings with two hits each (a tenth of them new)."""
    run_id = 0
    for day in range(2):
        at = T0 + timedelta(days=day)
        run_id = store.start_run(at, ["bench"], [])
        offset = listings // 10 if day else 0  # the second run loses a tenth and gains a tenth
        for i in range(offset, listings + offset):
            title = f"【AI美女】オリジナル アートポスター A3 光沢紙 No.{i}"
            x = Listing("demo_auction", f"x{i}", f"https://auctions.example/item/x{i}", title,
                        description="AIで生成したオリジナル作品です。", price=Decimal(2000 + i % 50 * 100), currency="JPY",
                        bids=i % 7, seller_id=f"seller{i % 97}", seller_name=f"出品者{i % 97}",
                        seller_url=f"https://auctions.example/seller/seller{i % 97}", status="active")
            hits = [Hit(rid, rid, sev, (), (Match("title", "AI美女", 1, 5),)) for rid, sev in RULES]
            recorded = store.record_listing(run_id, "bench", x, hits, at)
            if recorded.new:
                snap = Snapshot(x.url, x.url, placeholder_png(x.item_id, False), f"<html>{title}</html>",
                                ((x.url + "/1.png", "image/png", placeholder_png(x.item_id + "i", False)),))
                store.record_evidence(run_id, save_snapshot(evidence, x.site, x.item_id, snap, at))
        store.record_target(run_id, "bench", complete=True, reason=None, pages_ok=listings, pages_failed=0,
                            listings=listings)
        settle_run(store, run_id, ["bench"], "manual", at)
        store.finish_run(RunSummary(run_id, "completed", at, at + timedelta(minutes=20), ["bench"],
                                    pages_ok=listings, listings_seen=listings, flagged=listings, hits=2 * listings))
    return run_id


def in_browser(path: Path) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        t = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        load = time.perf_counter() - t
        t = time.perf_counter()
        page.evaluate("""() => { const q = document.getElementById('f-text'); q.value = 'No.12';
                                 q.dispatchEvent(new Event('input')); }""")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        filtered = time.perf_counter() - t
        browser.close()
    return load, filtered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hits", type=int, default=5000, help="rule hits in the report (two per listing)")
    args = ap.parse_args()
    zone = ZoneInfo("Asia/Tokyo")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Store(root / "bench.db") as store:
            t = time.perf_counter()
            run_id = fill(store, root / "reports" / "evidence", args.hits // 2)
            print(f"filled {args.hits // 2:,} listings with evidence in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            rows = store.hits_for_run(run_id)
            (root / "baseline.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            baseline = time.perf_counter() - t
            t = time.perf_counter()
            day = (T0 + timedelta(days=1)).astimezone(zone).date()
            report = compile_day_report(store, day, zone, root / "reports" / day.isoformat(), root / "reports" / "evidence")
            folder = publish(report, root / "reports", day.isoformat())
            took = time.perf_counter() - t
        html = folder / "report.html"
        size_mb = html.stat().st_size / 1e6
        load, filtered = in_browser(html)
    print(f"report of {len(report.hits):,} hits ({report.counts}): {took:.2f} s; "
          f"baseline (rows read and dumped as JSON) {baseline:.2f} s; ratio {took / baseline:.1f}x")
    print(f"report.html {size_mb:.1f} MB; in Chromium: loads in {load:.2f} s, "
          f"a filter over every row takes {filtered * 1000:.0f} ms")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({
        "report_hits": len(report.hits), "report_seconds": round(took, 2), "report_baseline_seconds": round(baseline, 2),
        "report_vs_baseline": round(took / baseline, 1), "report_html_mb": round(size_mb, 1),
        "report_browser_load_s": round(load, 2), "report_filter_ms": round(filtered * 1000),
        "report_machine": f"{platform.machine()}, Python {platform.python_version()}",
    })
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
