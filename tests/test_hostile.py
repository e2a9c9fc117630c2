"""Pages written by an attacker: nothing internal is reached or kept, no page can cost its evidence,
and no value a page declares can end a run.

A hostile shop on 127.0.0.1 (allowed by its exact address and port, as a local mirror would be) and
an "internal" service on 127.0.0.2 that must never hear from auditor. The real pipeline, the real
egress proxy, a real Chromium and a real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from auditor.config import Target, ImageSettings
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

pytestmark = pytest.mark.e2e
FLAGGED = "【AI美女】A3 ポスター 光沢 "  # what the shipped rules flag
HUGE = 300_000_000


def product(sku: str, **extra) -> dict:
    return {"@context": "https://schema.org", "@type": "Product", "sku": sku, "name": FLAGGED + sku,
            "offers": {"@type": "Offer", "price": 1200, "priceCurrency": "JPY"}, **extra}


def page(data: dict | str, script: str = "", head_script: str = "") -> bytes:
    ld = data if isinstance(data, str) else json.dumps(data)
    return (f"<!doctype html><html><head><meta charset=utf-8><title>item</title>"
            f"{f'<script>{head_script}</script>' if head_script else ''}"
            f"<script type='application/ld+json'>{ld}</script></head>"
            f"<body><h1>hostile listing</h1><p>{'x' * 200}</p>{f'<script>{script}</script>' if script else ''}"
            f"</body></html>").encode()


class Internal(BaseHTTPRequestHandler):
    """Stands for a host inside the company network: it records every request that reaches it."""

    heard: list[str] = []

    def do_GET(self):  # noqa: N802
        Internal.heard.append(self.path)
        body = b"root:x:0:0:root:/root:/bin/bash\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Hostile(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    pages: dict[str, bytes] = {}
    redirects: dict[str, str] = {}
    huge_sent = 0

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            return self._send(404, "text/plain", b"")
        if path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/img/huge.jpg":  # declares 300 MB and keeps sending
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk = b"\xff" * 65536
            try:
                while Hostile.huge_sent < HUGE:
                    self.wfile.write(chunk)
                    Hostile.huge_sent += len(chunk)
            except OSError:
                pass
            return
        if path == "/img/ok.png":
            from auditor.demo.server import placeholder_png
            return self._send(200, "image/png", placeholder_png("ok", False))
        if path in self.pages:
            return self._send(200, "text/html; charset=utf-8", self.pages[path])
        self._send(404, "text/plain", b"not here")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(handler, host: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, request):
    """One audit of the hostile shop; the tests below read what it left."""
    from conftest import RULES
    from auditor.config import BrowserSettings, Config, CrawlSettings, EvidenceSettings

    internal = serve(Internal, "127.0.0.2")
    hostile = serve(Hostile, "127.0.0.1")
    inside = f"http://127.0.0.2:{internal.server_address[1]}"
    shop = f"http://127.0.0.1:{hostile.server_address[1]}"
    Hostile.pages = {
        "/item/declares-file": page(product("declares-file", url="file:///etc/passwd")),
        "/item/declares-internal": page(product("declares-internal", url=inside + "/admin")),
        "/item/beacons": page(product("beacons", image=[inside + "/img/internal.jpg"]), script=(
            f"fetch('{inside}/fetch').catch(() => 0); new Image().src = '{inside}/pixel.gif';"
            f"window.open('{inside}/popup'); location.href = '{inside}/navigate';")),
        "/item/alert-loop": page(product("alert-loop"), script="while (true) alert('x');"),
        "/item/busy-loop": page(product("busy-loop"), head_script="while (true) {}"),
        "/item/images": page(product("images", image=[shop + "/img/huge.jpg", inside + "/img/inside.png",
                                                      "file:///etc/passwd", shop + "/img/ok.png",
                                                      "http://no-such-host.invalid/a.png"])),
        # values no page should be able to hurt a run with
        "/item/nan": page(product("nan", offers={"@type": "Offer", "price": "NaN", "priceCurrency": "JPY"})),
        "/item/huge-number": page(json.dumps(product("huge-number")).replace('"price": 1200', '"price": 1e1000000')),
        "/item/negative": page(product("negative", offers={"@type": "Offer", "price": -5})),
        "/item/list-price": page(product("list-price", offers={"@type": "Offer", "price": [1.2]})),
        "/item/fullwidth": page(product("fullwidth", offers={"@type": "Offer", "price": "１，０００円"})),
        "/item/surrogate": page(json.dumps(product("surrogate", name=FLAGGED + "surrogate SURR end"))
                                .replace("SURR", "\\ud800\\u0000\\u202e")),
        "/item/direction": page(product("rlo\u202eitem")),
        "/item/md-ids": page(product("md_ids-01`x*", offers={"@type": "Offer", "price": 10,
                                                             "seller": {"name": "ai_shop-01`|*[x]"}})),
        "/item/far-future": page(product("far-future", offers={"@type": "Offer", "price": 10, "priceValidUntil": "40000-01-01"})),
        "/item/object-seller": page(product("object-seller", offers={"@type": "Offer", "price": 10,
                                                                      "seller": {"name": {"nested": [1, 2]}}})),
    }
    Hostile.redirects = {"/item/to-internal": inside + "/secret", "/item/to-metadata": "http://169.254.169.254/latest/",
                         "/item/to-file": "file:///etc/passwd"}
    tmp = tmp_path_factory.mktemp("hostile")
    config = Config(database=tmp / "a.db", reports_dir=tmp / "reports", rules_dir=RULES, log_file=None,
                    browser=BrowserSettings(concurrency=2),
                    crawl=CrawlSettings(requests_per_second=500, retries=0, page_timeout_seconds=5,
                                        allow_addresses=[f"127.0.0.1:{hostile.server_address[1]}"]),
                    evidence=EvidenceSettings(max_image_mb=1), images=ImageSettings(max_mb=1))
    urls = [shop + p for p in [*Hostile.pages, *Hostile.redirects]]
    target = Target(name="hostile", site="schema_org", start_urls=urls, requests_per_second=500)
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=[target]))
        again = start_audit(config, store, AuditOptions(targets=[target]))  # the next day's run
    request.addfinalizer(internal.shutdown)
    request.addfinalizer(hostile.shutdown)
    db = sqlite3.connect(config.database)
    db.row_factory = sqlite3.Row
    return {"summary": summary, "again": again, "db": db, "shop": shop, "evidence": config.evidence_dir}


def capture(attacked, sku: str) -> dict:
    row = attacked["db"].execute("SELECT folder FROM evidence WHERE item_id = ? LIMIT 1", (sku,)).fetchone()
    assert row is not None, f"no evidence of {sku}"
    return json.loads((attacked["evidence"] / row["folder"] / "capture.json").read_text(encoding="utf-8"))


def failures(attacked) -> dict[str, str]:
    return {r["url"].rsplit("/", 1)[1]: (r["kind"], r["error"])
            for r in attacked["db"].execute("SELECT url, kind, error FROM page_failures WHERE run_id = ?",
                                            (attacked["summary"].run_id,))}


def test_nothing_inside_the_network_hears_from_auditor(attacked):
    assert Internal.heard == []


def test_redirects_to_internal_or_local_addresses_are_refused_and_recorded(attacked):
    got = failures(attacked)
    assert got["to-internal"][0] == "refused" and "127.0.0.2" in got["to-internal"][1]
    assert got["to-metadata"][0] == "refused" and "link-local" in got["to-metadata"][1]
    assert got["to-file"][0] == "refused"


def test_evidence_is_of_the_page_crawled_never_of_the_address_it_declares(attacked):
    for sku in ("declares-file", "declares-internal"):
        record = capture(attacked, sku)
        assert record["url"] == attacked["shop"] + f"/item/{sku}"
        folder = attacked["evidence"] / attacked["db"].execute(
            "SELECT folder FROM evidence WHERE item_id = ?", (sku,)).fetchone()["folder"]
        assert "root:x:0:0" not in (folder / "page.html").read_text(encoding="utf-8")
    stored = attacked["db"].execute("SELECT url FROM listings WHERE item_id = 'declares-file'").fetchone()["url"]
    assert stored.startswith(attacked["shop"])


def test_a_page_that_navigates_away_and_opens_windows_is_captured_where_it_is(attacked):
    record = capture(attacked, "beacons")
    assert record["final_url"] == attacked["shop"] + "/item/beacons"
    notes = " ".join(record["notes"])
    assert "stopped the page from navigating" in notes or "refused" in notes
    assert not [f for f in record["files"] if f["kind"] == "image"]  # its only image is internal


def test_dialogs_in_a_loop_cannot_cost_the_capture(attacked):
    record = capture(attacked, "alert-loop")
    assert record["partial"] is None
    assert any(f["name"] == "page.png" and f["bytes"] > 1000 for f in record["files"])


def test_a_page_that_never_settles_is_still_captured_and_marked_partial(attacked):
    record = capture(attacked, "busy-loop")
    assert "scripts off" in record["partial"]
    assert any(f["name"] == "page.png" and f["bytes"] > 1000 for f in record["files"])


def test_images_are_capped_while_streaming_and_only_public_ones_are_fetched(attacked):
    record = capture(attacked, "images")
    kept = [f for f in record["files"] if f["kind"] == "image"]
    assert [f["source_url"].rsplit("/", 1)[1] for f in kept] == ["ok.png"]
    notes = " ".join(record["notes"])
    assert "over the 1,000,000 byte cap" in notes and "127.0.0.2" in notes
    assert "no-such-host.invalid" in notes  # a host that does not resolve is a note, not a lost capture
    assert Hostile.huge_sent < 30_000_000  # the 300 MB image was given up near the cap, not downloaded


def test_hostile_values_are_repaired_or_dropped_and_no_run_fails(attacked):
    assert attacked["summary"].status in ("completed", "partial")
    assert attacked["again"].status in ("completed", "partial")
    rows = {r["item_id"]: r for r in attacked["db"].execute("SELECT * FROM listings")}
    for sku in ("nan", "huge-number", "negative", "list-price"):
        assert rows[sku]["price"] is None, sku
    assert rows["fullwidth"]["price"] == "1000"
    title = rows["surrogate"]["title"]
    assert title.endswith("surrogate \u202e end") and "\x00" not in title and "\ud800" not in title
    assert rows["far-future"]["end_time"] is None
    assert rows["object-seller"]["price"] == "10"


@contextmanager
def report_tab(attacked):
    """The run's report.html open in a real Chromium tab."""
    from playwright.sync_api import sync_playwright

    from auditor.crawl.install import choose_executable

    report = Path(attacked["summary"].report_dir) / "report.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choose_executable(None))
        try:
            tab = browser.new_page()
            tab.goto(report.as_uri())
            yield tab, report
        finally:
            browser.close()


def test_the_report_keeps_direction_overrides_inside_their_value(attacked):
    """Checked in Chromium: text after a scraped value with U+202E still reads left to right."""
    with report_tab(attacked) as (tab, _):
        order = tab.evaluate("""() => {
          // the line under the listing: "schema_org · rlo\u202eitem · hostile · ..."; where are the letters of "hostile"?
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const line = node.parentElement.closest('.muted');
            if (line && line.textContent.includes('rlo\u202eitem') && node.textContent.includes('hostile')) break;
          }
          if (!node) return null;
          const start = node.textContent.indexOf('hostile'), xs = [];
          for (let i = start; i < start + 7; i++) {
            const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
            xs.push(r.getBoundingClientRect().left);
          }
          return xs;
        }""")
    assert order, "the report shows the listing's line with its item id and target"
    assert order == sorted(order), f"text after the override is reordered: {order}"


def test_evidence_html_opened_from_the_report_is_text_and_runs_nothing(attacked):
    """The captured page (whose scripts beacon to the internal host) is offered as text, never as a live page."""
    with report_tab(attacked) as (tab, report):
        href = tab.evaluate("""() => [...document.querySelectorAll('tr')]
          .filter(tr => tr.textContent.includes('beacons'))
          .flatMap(tr => [...tr.querySelectorAll('a')]).map(a => a.getAttribute('href'))
          .find(h => h && h.includes('.html'))""")
        assert href and href.endswith(".html.txt"), href
        tab.goto(report.parent.joinpath(href).resolve().as_uri())
        kind = tab.evaluate("document.contentType")
        shown = tab.evaluate("document.body.innerText")
    assert kind == "text/plain" and "fetch(" in shown  # the script is there, as text
    assert Internal.heard == []


def test_ids_read_back_exactly_from_report_md(attacked):
    from markdown_it import MarkdownIt

    md = (Path(attacked["summary"].report_dir) / "report.md").read_text(encoding="utf-8")
    spans = set()
    for block in MarkdownIt("commonmark").enable("table").parse(md):
        for child in block.children or []:
            if child.type == "code_inline":
                spans.add(child.content)
    assert "ai_shop-01`|*[x]" in spans
