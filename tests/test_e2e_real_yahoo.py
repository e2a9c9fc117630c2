"""A full audit, with real Chromium, over the saved Yahoo! Auctions pages served from localhost.

The search page and the two item pages that were saved are served as they are, with their links to
auctions.yahoo.co.jp pointed at the local server; items whose pages were not saved answer 404.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from auditor.config import Target
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import SHARED

PAGES = SHARED / "fixtures" / "real-pages" / "yahoo-auctions"
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")]
SAVED = {"s1238539612": "item_s1238539612.html", "n1235105710": "item_ended_n1235105710.html"}
RULES = """\
rules:
  - id: test.haniwa
    title: A card named in a test rule
    severity: high
    selections:
      name: {keywords: [はにわ]}
"""


class SavedYahoo(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def page(self, name: str) -> bytes:
        return (PAGES / name).read_text(encoding="utf-8").replace("https://auctions.yahoo.co.jp", self.url).encode()


class _Handler(BaseHTTPRequestHandler):
    server: SavedYahoo
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.server.requests.append(self.path)
        split = urlsplit(self.path)
        body = None
        if split.path == "/search/search" and parse_qs(split.query).get("b", ["1"])[0] == "1":
            body = self.server.page("search_yugioh-psa-shoki.html")
        elif split.path.startswith("/jp/auction/") and split.path.rsplit("/", 1)[1] in SAVED:
            body = self.server.page(SAVED[split.path.rsplit("/", 1)[1]])
        status = 200 if body else 404
        body = body or b"<html><body>not saved</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def saved_yahoo():
    server = SavedYahoo()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_full_audit_over_saved_yahoo_pages(config, saved_yahoo, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "test.yaml").write_text(RULES, encoding="utf-8")
    config = config.model_copy(update={"rules_dir": rules})
    target = Target(name="yahoo", site="yahoo_auctions", queries=["遊戯王 PSA 初期"], base_url=saved_yahoo.url,
                    start_urls=[saved_yahoo.url + "/jp/auction/n1235105710"])
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=[target]))
        read = {r[0] for r in store.db.execute("select item_id from observations where source = 'item'")}
        cards = {r[0]: r[1] for r in store.db.execute(
            "select l.item_id, l.title from observations o join listings l using (site, item_id) where o.source = 'card'")}
        removed = [f for f in store.failures_for_run(summary.run_id) if f["kind"] == "removed"]
        listings = {r["item_id"]: r for r in store.db["listings"].rows if r["item_id"] in read}
        flagged = store.flagged_keys(summary.run_id)
        evidence = list(store.db.query("select kind, path from evidence where item_id = 's1238539612'"))
    assert set(listings) == {"s1238539612", "n1235105710"}
    open_item, ended = listings["s1238539612"], listings["n1235105710"]
    assert (open_item["title"], open_item["price"], open_item["buy_now_price"], open_item["bids"]) == (
        "ARS10 遊戯王 はにわ 初期 Vol.1 PSA10相当", "3440", "30000", 11)
    assert (open_item["seller_name"], open_item["end_time"]) == ("まるお", "2026-08-02T13:58:02+00:00")
    assert open_item["url"] == saved_yahoo.url + "/jp/auction/s1238539612"  # where it was read, not the real site
    assert (ended["status"], ended["price"]) == ("sold", "6350")
    assert flagged == {("yahoo_auctions", "s1238539612"): {"test.haniwa"}}
    assert {e["kind"] for e in evidence} >= {"screenshot", "html"}
    # every other item of the search page was tried once and recorded as what it is: not there (404);
    # what its search card showed is kept (title, price), marked as read from the card
    assert len(removed) == 49 and {f["error"] for f in removed} == {"HTTP 404: the listing is no longer there"}
    assert len(cards) == 49 and all(cards.values())
    assert [f.url for f in summary.failures if "/search/search" in f.url] == [
        saved_yahoo.url + "/search/search?p=%E9%81%8A%E6%88%AF%E7%8E%8B+PSA+%E5%88%9D%E6%9C%9F&va=%E9%81%8A%E6%88%AF%E7%8E%8B"
        "+PSA+%E5%88%9D%E6%9C%9F&is_postage_mode=1&dest_pref_code=13&b=51&n=50"]
    assert summary.status == "partial" and summary.listings_seen == 2 + 49  # its second search page was not there
    assert "a search page failed" in summary.incomplete["yahoo"]
    assert saved_yahoo.requests[0] == "/robots.txt"  # asked first (a 404: everything allowed)
    assert any(r.startswith("/search/search?p=%E9%81%8A%E6%88%AF%E7%8E%8B%20PSA") for r in saved_yahoo.requests)
