"""The daily report end to end: evidence captured by real Chromium, new / gone across two runs, and a
report built from hostile listings that, opened in real Chromium, runs nothing and loads nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.config import Target
from auditor.crawl.install import choose_executable
from auditor.demo import serve_demo
from auditor.demo.catalog import DemoListing, DemoSeller, bump
from auditor.evidence.files import sha256_of, verify
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

pytestmark = pytest.mark.e2e


def audit(config, server, clock):
    targets = [Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"]),
               Target(name="flea", site="demo_fleamarket", start_urls=[server.url + "/flea/search"])]
    with Store(config.database) as store:
        return start_audit(config, store, AuditOptions(targets=targets, clock=clock))


def rows_by_state(folder: Path) -> dict[str, set[str]]:
    doc = BeautifulSoup((folder / "report.html").read_text(encoding="utf-8"), "lxml")
    return {state: {tr["data-item"].split("/", 1)[1] for tr in doc.select(f"#t-{state} tbody tr")}
            for state in ("new", "active", "gone", "unchecked")}


def test_every_hit_has_evidence_files_that_match_their_recorded_sha256(config, small_catalog, clock):
    with serve_demo(small_catalog) as server:
        summary = audit(config, server, clock)
    with Store(config.database) as store:
        flagged = set(store.flagged_keys(summary.run_id))
        rows = list(store.db.query("select * from evidence where run_id = ?", [summary.run_id]))
    assert flagged and {(r["site"], r["item_id"]) for r in rows} == flagged
    root = config.evidence_dir
    for key in flagged:
        kinds = {r["kind"] for r in rows if (r["site"], r["item_id"]) == key}
        assert {"screenshot", "html", "image", "capture"} <= kinds, key
    for r in rows:
        path = root / r["path"]
        assert path.is_file() and sha256_of(path) == r["sha256"] and path.stat().st_size == r["bytes"]
    png = next(root / r["path"] for r in rows if r["kind"] == "screenshot")
    assert png.read_bytes().startswith(b"\x89PNG")
    html = next(root / r["path"] for r in rows if r["kind"] == "html" and r["site"] == "demo_fleamarket")
    assert 'data-testid="item"' in html.read_text(encoding="utf-8")  # the page as the browser rendered it
    day = summary.started_at.astimezone(config.schedule.zone).date().isoformat()
    manifest = root / "manifests" / f"{day}.sha256"
    entries = [tuple(line.split("  ", 1)) for line in manifest.read_text().splitlines()]
    assert len(entries) == len(rows) and verify(root, entries) == []
    hits = json.loads((Path(summary.report_dir) / "hits.json").read_text(encoding="utf-8"))["hits"]
    for h in hits:  # each hit links its evidence, relative to the report's folder
        shot = next(e for e in h["evidence"] if e["kind"] == "screenshot")
        assert sha256_of(Path(summary.report_dir) / shot["path"]) == shot["sha256"]
        assert (Path(summary.report_dir) / h["thumbnail"]).is_file()


def test_a_removed_listing_is_gone_a_new_one_is_new_and_changed_ones_get_new_evidence(config, small_catalog, clock):
    flagged = [x for x in small_catalog.listings if x.expected_rules and x.status == "active"]
    removed, changed = flagged[0], flagged[1]
    newcomer = replace(flagged[2], item_id=("x" if flagged[2].section == "auction" else "m") + "999001",
                       title="【AI美女】新作ポスター A3 No.1")
    with serve_demo(small_catalog) as server:
        first = audit(config, server, clock)
        day2 = small_catalog.without(removed.section, removed.item_id).with_listing(newcomer)
        server.catalog = replace(day2, listings=[bump(x, price=x.price + 500) if x == changed else x for x in day2.listings])
        clock.now += timedelta(days=1)
        second = audit(config, server, clock)
    states = rows_by_state(Path(second.report_dir))
    assert states["gone"] == {removed.item_id}
    assert states["new"] == {newcomer.item_id}
    assert changed.item_id in states["active"] and removed.item_id not in states["active"]
    assert len(states["active"]) == len(flagged) - 1  # those first seen already sold were closed on day 1
    assert Path(first.report_dir) != Path(second.report_dir)  # one folder per run, both kept
    data = json.loads((Path(second.report_dir) / "hits.json").read_text(encoding="utf-8"))
    assert {h["reason"] for h in data["hits"] if h["state"] == "gone"} == {"removed"}  # its page said so: 404
    with Store(config.database) as store:
        captures = {(r["item_id"], r["folder"]) for r in store.db.query("select item_id, folder from evidence")}
    per_item = {}
    for item_id, folder in captures:
        per_item.setdefault(item_id, set()).add(folder)
    assert len(per_item[changed.item_id]) == 2  # new evidence beside the old, never over it
    assert len(per_item[newcomer.item_id]) == 1
    unchanged = next(x for x in flagged[3:] if x.item_id != changed.item_id)
    assert len(per_item[unchanged.item_id]) == 1  # seen again unchanged: its evidence stands
    index = BeautifulSoup((config.reports_dir / "index.html").read_text(encoding="utf-8"), "lxml")
    days = index.select("table")[0]
    assert [a["href"] for a in days.select("tbody td:first-child a")] == [
        f"{Path(second.day_report_dir).name}/report.html", f"{Path(first.day_report_dir).name}/report.html"]


PAYLOADS = [
    '<script>window.__xss=1;alert("script")</script>',
    '<img src=x onerror="window.__xss=2;alert(\'img\')">',
    '"><svg onload=alert("svg")><b x="',
    "'><iframe src=javascript:alert('iframe')></iframe>",
    '<a href="javascript:alert(\'link\')">click</a>',
    '<div style="background:url(http://127.0.0.1:9/css-url)">css</div>',
    '</textarea></title></script><script>alert("breakout")</script>',
    '{{7*7}} ${alert("tpl")} <math><mtext><style><img src=x onerror=alert("math")>',
]


def hostile_listings() -> list[DemoListing]:
    seller = DemoSeller('evil"onmouseover="alert(1)', '<img src=x onerror=alert("seller")>')
    out = []
    for i, payload in enumerate(PAYLOADS):
        section = "auction" if i % 2 == 0 else "flea"
        out.append(DemoListing(
            section=section, item_id=f"{'x' if section == 'auction' else 'm'}66600{i}",
            title=f"【AI美女】ポスター A3 {payload}", description=f"AIで生成。光沢紙に印刷。 {payload}",
            price=3000 + i, buy_now=None, bids=0, seller=seller, category=f"ポスター {payload}",
            tags=(payload, "AI美女"), images=1, end_time=small_end(), status="active",
            photo_urls=("javascript:alert('photo')", 'http://127.0.0.1:9/p.png" onerror="alert(\'photo2\')',
                        "data:image/svg+xml,<svg onload=alert('data')>", f"/img/x66600{i}-1.png")))
    return out


def small_end():
    from auditor.demo.catalog import EPOCH
    return EPOCH + timedelta(days=30)


def open_in_chromium(path: Path) -> dict:
    """Open a report file in headless Chromium, use its filters, and record what ran or loaded."""
    from playwright.sync_api import sync_playwright

    seen = {"dialogs": [], "requests": [], "errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.set_default_timeout(3000)
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        try:  # use the filters, the sorting and the seller links, over the hostile rows
            if page.query_selector("#f-text"):
                page.fill("#f-text", "AI美女")
                page.click("#t-new th[data-sort=price]")
                page.locator("#sellers a[href^='#seller=']").first.dispatch_event("click")  # hostile ids in the hash
                page.locator("table.hits a[href^='#seller=']").last.dispatch_event("click")
                seen["seller_note"] = page.text_content("#f-seller")
                page.click("#f-clear")
            page.mouse.move(300, 300)
            for tr in page.query_selector_all("tbody tr")[:20]:
                tr.hover()
        except Exception as e:  # noqa: BLE001 - a broken page shows in the checks below
            seen["errors"].append(f"interaction: {e}".splitlines()[0])
        page.wait_for_timeout(300)
        seen["xss"] = page.evaluate("window.__xss === undefined ? null : window.__xss")
        seen["scripts"] = page.evaluate("document.scripts.length")
        seen["handlers"] = page.evaluate("""Array.from(document.querySelectorAll('*')).flatMap(e =>
            Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))""")
        seen["embeds"] = page.evaluate("document.querySelectorAll('iframe, object, embed, math, style:not(head style)').length")
        seen["hrefs"] = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        seen["shown"] = page.evaluate("(document.querySelector('[data-count-for=t-new]') || {}).textContent || null")
        browser.close()
    return seen


def test_a_report_of_hostile_listings_runs_no_script_and_loads_nothing_from_outside_its_folder(config, small_catalog, clock):
    catalog = small_catalog
    for x in hostile_listings():
        catalog = catalog.with_listing(x)
    with serve_demo(catalog) as server:
        summary = audit(config, server, clock)
    folder = Path(summary.day_report_dir)
    shown = []
    for name in ("report.html", "../index.html"):
        seen = open_in_chromium(folder / name)
        shown.append(seen["shown"])
        assert seen["handlers"] == [] and seen["embeds"] == 0  # no scraped markup became elements
        assert seen["dialogs"] == [] and seen["xss"] is None  # nothing scraped ran
        assert seen["errors"] == []  # and the report's own script worked over the hostile rows
        assert seen["scripts"] == 1  # each page's own script (the index's: "no run since"), nothing else
        inside = (folder / name).resolve().parent.as_uri() + "/"
        assert [u for u in seen["requests"] if not u.startswith(inside)] == []
        assert all(h.startswith(("http://", "https://", "#", "../", "thumbs/", "media/")) or h.endswith(("report.html", ".sha256"))
                   for h in seen["hrefs"]), seen["hrefs"]
        assert not [h for h in seen["hrefs"] if h.lower().lstrip().startswith(("javascript:", "data:"))]
    assert shown[0] and int(shown[0]) > 0  # the report's filter ran, over the hostile rows too
    doc = BeautifulSoup((folder / "report.html").read_text(encoding="utf-8"), "lxml")
    hostile_rows = [tr for tr in doc.select("#t-new tbody tr") if "66600" in tr["data-item"]]
    assert len(hostile_rows) == len(PAYLOADS)  # every hostile listing was audited and reported



def test_the_index_says_no_run_since_in_red_once_the_next_run_is_overdue(tmp_path):
    from playwright.sync_api import sync_playwright

    from auditor.report import write_index

    shown = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        for name, due in (("late", "2026-01-01T09:00:00+09:00"), ("on-time", "2999-01-01T09:00:00+09:00")):
            folder = tmp_path / name
            folder.mkdir()
            path = write_index(folder, language="en", due={"at": due, "since": "2025-12-31 06:00",
                                                           "run": 7})
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.resolve().as_uri())
            banner = page.locator("#no-run")
            shown[name] = (banner.is_visible(), banner.text_content(), banner.evaluate("e => getComputedStyle(e).color"),
                           errors)
        browser.close()
    visible, text, colour, errors = shown["late"]
    assert visible and text.startswith("No scheduled run since 2025-12-31 06:00") and colour == "rgb(127, 29, 29)"
    assert errors == [] and shown["on-time"][0] is False  # the page's own script (CSP-hashed) ran, and said nothing early
