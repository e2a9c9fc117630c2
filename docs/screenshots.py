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
from auditor.crawl.install import choose_executable  # noqa: E402
from auditor.demo.days import run_days  # noqa: E402

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
WIDTH = 1440


def config_in(tmp: Path) -> Config:
    return Config(database=tmp / "a.db", reports_dir=tmp / "reports", rules_dir=ROOT / "rules", log_file=None,
                  crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.1, page_timeout_seconds=15))


def two_days(tmp: Path) -> Path:
    *_, last = run_days(config_in(tmp), 2, today=date(2026, 11, 26))
    return Path(last.summary.day_report_dir)


def shoot_console(tmp: Path) -> None:
    """The queue and a case (its pictures blurred), signed in as a reviewer."""
    import threading
    import time as clock
    from datetime import datetime, timezone

    import uvicorn
    from playwright.sync_api import sync_playwright

    from auditor.review.users import add_user
    from auditor.serve.app import create_app
    from auditor.store import Store

    config = config_in(tmp)
    with Store(config.database) as store:
        add_user(store, "ana", "reviewer", "a long demo password", datetime.now(timezone.utc))
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        clock.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale="ja-JP")
        page.goto(url + "/login")
        page.fill("input[name=name]", "ana")
        page.fill("input[name=password]", "a long demo password")
        page.click("button[type=submit]")
        page.wait_for_url("**/queue")
        page.screenshot(path=DOCS / "console-queue.png")
        page.keyboard.press("n")
        page.wait_for_url("**/case?**")
        page.wait_for_timeout(500)
        page.evaluate("document.querySelector('section:nth-of-type(4)').scrollIntoView()")
        page.wait_for_timeout(300)
        page.screenshot(path=DOCS / "console-case.png")
        browser.close()
    server.should_exit = True


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
        shoot_console(Path(tmp))
    for name in sorted([*DOCS.glob("report-*.png"), *DOCS.glob("console-*.png")]):
        print(name.relative_to(ROOT))


if __name__ == "__main__":
    main()
