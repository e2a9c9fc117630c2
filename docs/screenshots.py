"""Screenshots of the report for the README: two days of demo audits, shot with headless Chromium.

Day one audits the demo marketplace; by day two a few flagged listings were taken down or sold and a
few new ones appeared, so every section of the report has something in it.

    .venv/bin/python docs/screenshots.py        (writes docs/report-*.png)
"""

from __future__ import annotations

import sys
import time
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.config import Config, CrawlSettings, Target  # noqa: E402
from auditor.crawl.browser import choose_executable  # noqa: E402
from auditor.demo import generate, serve_demo  # noqa: E402
from auditor.demo.catalog import bump  # noqa: E402
from auditor.pipeline import AuditOptions, run_audit  # noqa: E402
from auditor.store import Store  # noqa: E402

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
WIDTH = 1440


def two_days(tmp: Path) -> Path:
    config = Config(database=tmp / "a.db", reports_dir=tmp / "reports", rules_dir=ROOT / "rules",
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.1, page_timeout_seconds=15))
    catalog = generate(7, 300)
    now = [datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)]
    start = time.monotonic()
    clock = lambda: now[0] + timedelta(seconds=time.monotonic() - start)  # noqa: E731
    with serve_demo(catalog) as server:
        targets = [Target(name="demo-auction", site="demo_auction", start_urls=[server.url + "/auction/search"]),
                   Target(name="demo-fleamarket", site="demo_fleamarket", start_urls=[server.url + "/flea/search"])]
        with Store(config.database) as store:
            run_audit(config, store, AuditOptions(targets=targets, clock=clock))
        flagged = [x for x in catalog.listings if x.expected_rules and x.status == "active"]
        day2 = catalog
        for x in flagged[:3]:
            day2 = day2.without(x.section, x.item_id)
        listings = [bump(x, status="sold", bids=x.bids + 4) if x in flagged[3:5] else x for x in day2.listings]
        listings += [replace(x, item_id=x.item_id[0] + str(900000 + i), title=x.title.replace("No.", "新作 No."))
                     for i, x in enumerate(flagged[5:9])]
        server.catalog = replace(day2, listings=listings)
        now[0] += timedelta(days=1)
        start = time.monotonic()
        with Store(config.database) as store:
            summary = run_audit(config, store, AuditOptions(targets=targets, clock=clock))
    return Path(summary.report_dir)


def shoot(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.goto((folder / "report.html").as_uri(), wait_until="load")
        page.wait_for_timeout(600)
        page.screenshot(path=DOCS / "report-summary.png")
        for section, name in (("gone", "report-gone.png"), ("sellers", "report-sellers-rules.png")):
            page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
            page.wait_for_timeout(600)  # lazy thumbnails
            page.screenshot(path=DOCS / name)
        page.goto((folder.parent / "index.html").as_uri(), wait_until="load")
        page.set_viewport_size({"width": WIDTH, "height": 360})
        page.screenshot(path=DOCS / "report-index.png")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = two_days(Path(tmp))
        shoot(folder)
    for name in sorted(DOCS.glob("report-*.png")):
        print(name.relative_to(ROOT))


if __name__ == "__main__":
    main()
