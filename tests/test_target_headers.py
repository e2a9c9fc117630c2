"""A target's headers (a partner token, a session cookie) reach the target's own origin and nothing else: not the
host a redirect points at, not the hosts of a page's images, scripts and frames, not a listing's pictures on
another host; over plain HTTP and in real Chromium. Two servers on 127.0.0.1, each logging what it received."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auditor.config import Target
from auditor.crawl import BrowserFetcher
from auditor.crawl.checked import Clients
from auditor.crawl.http import HttpFetcher
from auditor.crawl.routes import Routes

from conftest import LOCAL

TOKEN = ("X-Partner-Token", "s3cret-partner-token")


class Logged(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages, host: str = "127.0.0.1"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages, self.seen, self.cookies, self.host = pages, [], [], host

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.server.seen.append((self.path, self.headers.get(TOKEN[0])))
        self.server.cookies.append((self.path, self.headers.get("Cookie")))
        status, ctype, body = self.server.pages(self.path)
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body)
            body = ""
        self.send_header("Content-Type", ctype)
        data = body.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def servers():
    other = Logged(lambda path: (200, "image/png" if path.endswith(".png") else "text/javascript"
                                 if path.endswith(".js") else "text/html", "<html><body>elsewhere</body></html>"),
                   host="localhost")  # another host (a cookie is kept to its host, whatever the port)

    def own(path):
        if path == "/moved":
            return 302, "text/html", other.url + "/landing"
        # the page marks its body when its picture and its frame have come (a browser's ready state, not a time)
        mark = "document.body.setAttribute('data-{}', '1')"
        pic = mark.format("pictured")
        return 200, "text/html", (f'<html><body><h1>listing</h1><img src="{other.url}/picture.png" '
                                  f'onload="{pic}" onerror="{pic}"><script src="{other.url}/tracker.js"></script>'
                                  f'<iframe src="{other.url}/frame" onload="{mark.format("framed")}"></iframe>'
                                  f'<img src="/own.png"></body></html>')

    mine = Logged(own)
    for s in (mine, other):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield mine, other
    for s in (mine, other):
        s.shutdown()


def routes_for(mine) -> Routes:
    return Routes.of([Target(name="partner", site="demo_auction", start_urls=[mine.url + "/search"],
                             headers=dict([TOKEN, ("Cookie", "adult=t")]))])  # a token, and an age gate's cookie


def test_over_http_the_header_goes_to_the_target_and_not_where_it_redirects_or_its_pictures_are(servers):
    mine, other = servers
    routes = routes_for(mine)

    async def go():
        async with HttpFetcher(policy=LOCAL, routes=routes) as fetcher:
            await fetcher.fetch(mine.url + "/item/1", ready_selector=None, timeout=10)
            await fetcher.fetch(mine.url + "/moved", ready_selector=None, timeout=10)
        clients = Clients(LOCAL)  # a listing's picture, fetched with the target's client (as images are)
        try:
            await clients.get(routes.for_target("partner")).get(other.url + "/picture.png")
            await clients.get(routes.for_target("partner")).get(mine.url + "/own.png")
        finally:
            await clients.aclose()

    asyncio.run(go())
    assert ("/item/1", TOKEN[1]) in mine.seen and ("/moved", TOKEN[1]) in mine.seen and ("/own.png", TOKEN[1]) in mine.seen
    assert {path for path, _ in other.seen} == {"/landing", "/picture.png"}
    assert all(token is None for _, token in other.seen), other.seen
    assert ("/item/1", "adult=t") in mine.cookies and all(c is None for _, c in other.cookies)


@pytest.mark.e2e
def test_in_the_browser_the_header_goes_to_the_target_and_not_to_the_pages_other_hosts(servers):
    mine, other = servers
    access = routes_for(mine).for_target("partner")

    async def go():
        async with BrowserFetcher(concurrency=1, policy=LOCAL, access=access, block_resources=False) as fetcher:
            page = await fetcher.fetch(mine.url + "/item/1", ready_selector="body[data-pictured][data-framed]",
                                       timeout=60)  # the page had asked the other host for all three
            assert "listing" in page.html

    asyncio.run(go())
    assert ("/item/1", TOKEN[1]) in mine.seen and ("/item/1", "adult=t") in mine.cookies
    assert {"/picture.png", "/tracker.js", "/frame"} <= {path for path, _ in other.seen}, other.seen
    assert all(token is None for _, token in other.seen), other.seen
    assert all(cookie is None for _, cookie in other.cookies), other.cookies
