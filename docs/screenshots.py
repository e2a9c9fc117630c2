"""Screenshots of the report for the README: two days of demo audits, shot with headless Chromium.

Day one audits the demo marketplace; by day two listings were sold, removed, edited to evade the
label and escalated, so every section of the report has something in it. Pictures stay blurred.

    .venv/bin/python docs/screenshots.py        (writes docs/report-*.png)
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.config import Config, CrawlSettings  # noqa: E402
from auditor.crawl.browser import choose_executable  # noqa: E402
from auditor.demo.days import run_days  # noqa: E402

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
WIDTH = 1440


def two_days(tmp: Path) -> Path:
    config = Config(database=tmp / "a.db", reports_dir=tmp / "reports", rules_dir=ROOT / "rules", log_file=None,
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.1, page_timeout_seconds=15))
    *_, last = run_days(config, 2, today=date(2026, 11, 26))
    return Path(last.summary.day_report_dir)


def shoot(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.goto((folder / "report.html").as_uri(), wait_until="load")
        page.wait_for_timeout(600)
        page.screenshot(path=DOCS / "report-summary.png")
        for section, name in (("evaded", "report-evaded.png"), ("gone", "report-gone.png"),
                              ("sellers", "report-sellers-rules.png")):
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
