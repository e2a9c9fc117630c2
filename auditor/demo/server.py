"""The demo marketplace served on localhost: an auction section rendered on the server and a
flea-market section rendered in the browser from a JSON API. Faults can be injected per path."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Iterator
from urllib.parse import parse_qs, quote, urlsplit

from auditor.demo.posters import poster
from auditor.demo.catalog import Catalog, DemoListing

PER_PAGE = 20
STATUS_LABELS = {"active": "出品中", "ended": "終了", "sold": "落札済み"}  # as a venue marks its listings
FAULTS = ("500", "404", "hang", "broken", "429-once", "captcha", "redirect-loop", "drip", "reset", "huge",
          "sjis", "eucjp-undeclared", "endless", "spin", "denied-503", "redesign", "members-only")
MEMBER_COOKIE = ("demo_member", "signed-in")  # what a signed-in session of the demo carries
AGE_COOKIE = ("age_ok", "1")  # the demo's documented age confirmation, as BOOTH's adult=t


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, catalog: Catalog, port: int = 0, faults: dict[str, str] | None = None, delay: float = 0.0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.delay = delay  # seconds each answer waits (a marketplace slower than localhost: the workers' bench)
        self.slower: dict[str, float] = {}  # path prefix -> seconds more its answers wait (pictures slower than pages)
        self.times: list[tuple[float, str]] = []  # (time.time() when the request came, path): the server's own log
        self.catalog = catalog
        self.faults = dict(faults or {})
        self.stopping = threading.Event()
        self.clients: list[tuple[str, str]] = []  # (path, "browser" or "http"): every request, and who asked
        self.robots_txt = "User-agent: *\nAllow: /\n"
        self.fault_hits: dict[str, int] = {}
        self.not_modified: list[str] = []  # paths answered 304 (the client's ETag still held)

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (a run stopped mid-page) is no error of the server's: not logged."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def requests(self) -> list[str]:
        """The paths asked for, in order."""
        return [path for path, _ in self.clients]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve_demo(catalog: Catalog, port: int = 0, faults: dict[str, str] | None = None,
               delay: float = 0.0) -> Iterator[DemoServer]:
    """Serve the catalogue on 127.0.0.1 in a background thread for the duration of the block."""
    server = DemoServer(catalog, port, faults, delay)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _yen(v: int) -> str:
    return f"{v:,}円"


def _page(title: str, body: str, script: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="stylesheet" href="/static/site.css"></head><body>'
            f'<header><a href="/">Demo Auctions</a></header>{body}{script}</body></html>')


def placeholder_png(label: str, sd_metadata: bool) -> bytes:
    """A small grey PNG; optionally with a Stable Diffusion style 'parameters' text chunk."""
    width = height = 48
    shade = 96 + (zlib.crc32(label.encode()) % 96)
    raw = b"".join(b"\x00" + bytes([shade, shade, shade]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if sd_metadata:
        text = ("placeholder, poster\nNegative prompt: lowres\nSteps: 28, Sampler: DPM++ 2M Karras, "
                "CFG scale: 7, Seed: 1234, Model: demo-model")
        out += chunk(b"tEXt", b"parameters\x00" + text.encode("latin-1"))
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive responses otherwise stall ~40 ms each

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.times.append((time.time(), self.path))
        self.server.clients.append((self.path, "browser" if self.headers.get("Sec-Fetch-Mode") else "http"))
        extra = next((s for prefix, s in self.server.slower.items() if self.path.startswith(prefix)), 0.0)
        if self.server.delay or extra:
            time.sleep(self.server.delay + extra)
        split = urlsplit(self.path)
        fault = self.server.faults.get(self.path) or self.server.faults.get(split.path) or next(
            (kind for prefix, kind in self.server.faults.items() if prefix.endswith("/") and split.path.startswith(prefix)), None)
        self.redesigned = fault == "redesign"  # the page as usual, in markup the site profile no longer knows
        if fault == "members-only" and "=".join(MEMBER_COOKIE) in (self.headers.get("Cookie") or ""):
            fault = None  # a signed-in visitor sees the page
        if fault == "age-gate" and "=".join(AGE_COOKIE) in (self.headers.get("Cookie") or ""):
            fault = None  # an adult reviewer who confirmed their age sees the page
        if fault and not self.redesigned:
            hits = self.server.fault_hits[split.path] = self.server.fault_hits.get(split.path, 0) + 1
            if not (fault == "429-once" and hits > 1):
                try:
                    return self._fault(fault, split.path)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    return None  # the client gave up on it, as it should
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        parts = [p for p in split.path.split("/") if p]
        catalog = self.server.catalog
        try:
            match parts:
                case []:
                    return self._html(_page("Demo Auctions", '<ul><li><a href="/auction/search">オークション</a></li>'
                                            '<li><a href="/flea/search">フリマ</a></li></ul>'))
                case ["robots.txt"]:
                    return self._send(200, "text/plain; charset=utf-8", self.server.robots_txt.encode())
                case ["static", "flea.js"]:
                    return self._send(200, "application/javascript", resources.files("auditor.demo").joinpath("static/flea.js").read_bytes())
                case ["static", "site.css"]:
                    return self._send(200, "text/css", b"body{font-family:sans-serif;margin:1em}")
                case ["img", name] if name.endswith(".png"):
                    item_id, _, k = name[:-4].rpartition("-")
                    found = catalog.get("auction", item_id) or catalog.get("flea", item_id)
                    if found is not None and k == "1":
                        ctype, body = poster(found.design or item_id, found.variant, found.sd_metadata)
                    else:
                        ctype, body = poster(name[:-4], "", bool(found and found.sd_metadata))
                    return self._send(200, ctype, body)
                case ["auction", "search"]:
                    return self._html(self._auction_search(query))
                case ["auction", "item", item_id]:
                    listing = catalog.get("auction", item_id)
                    return self._html(_auction_item(listing), validate=True) if listing else self._not_found()
                case ["auction", "seller", seller_id]:
                    return self._html(self._auction_seller(seller_id))
                case ["flea", "search"] | ["flea", "item", _]:
                    if parts[1] == "item" and not catalog.get("flea", parts[2]):
                        return self._not_found()
                    return self._html(_page("Demo Flea", '<div id="app"></div>', '<script src="/static/flea.js"></script>'))
                case ["api", "flea", "search"]:
                    return self._json(self._flea_search(query))
                case ["api", "flea", "items", item_id]:
                    listing = catalog.get("flea", item_id)
                    return self._json(_flea_item(listing)) if listing else self._send(404, "application/json", b'{"error":"not found"}')
            return self._not_found()
        except (BrokenPipeError, ConnectionResetError):
            return None

    # --- pages -----------------------------------------------------------------------------------
    def _filtered(self, section: str, keyword: str) -> list[DemoListing]:
        items = self.server.catalog.section(section)
        return [x for x in items if keyword.casefold() in x.title.casefold()] if keyword else items

    def _auction_search(self, query: dict[str, str]) -> str:
        keyword = query.get("q", "")
        page = max(1, int(query.get("p", "1") or 1))
        items = self._filtered("auction", keyword)
        newest = query.get("sort") == "new"
        if newest:  # newest first, as a venue's 新着順
            items = sorted(items, key=lambda x: x.item_id, reverse=True)
        chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
        rows = "".join(
            f'<li class="Product" data-item-id="{escape(x.item_id)}"><a class="Product__titleLink" '
            f'href="/auction/item/{escape(x.item_id)}">{escape(x.title)}</a> '
            f'<span class="Product__priceValue">{_yen(x.price)}</span> '
            f'<span class="Product__bid">{x.bids}</span> '
            f'<time class="Product__time" datetime="{x.end_time.isoformat()}">{x.end_time:%m/%d %H:%M}</time> '
            + (f'<span class="Product__status" data-status="{x.status}">{STATUS_LABELS[x.status]}</span> '
               if x.status != "active" else "")
            + f'<span class="Product__seller" data-seller-id="{escape(x.seller.id)}">{escape(x.seller.name)}</span></li>'
            for x in chunk)
        pager = ""
        if page * PER_PAGE < len(items):
            pager = (f'<a class="Pager__link" rel="next" href="/auction/search?p={page + 1}&amp;q={escape(quote(keyword))}'
                     + ('&amp;sort=new' if newest else '') + '">次へ</a>')
        return _page(f"検索結果 {keyword}", f'<p class="Result__count">{len(items)}件</p>'
                                             f'<ul class="Products__items">{rows}</ul>{pager}')

    def _auction_seller(self, seller_id: str) -> str:
        items = [x for x in self.server.catalog.section("auction") if x.seller.id == seller_id]
        rows = "".join(f'<li><a href="/auction/item/{escape(x.item_id)}">{escape(x.title)}</a></li>' for x in items)
        name = items[0].seller.name if items else seller_id
        return _page(f"{name} の出品", f'<h1 class="Seller__title">{escape(name)}</h1><ul>{rows}</ul>')

    def _flea_search(self, query: dict[str, str]) -> dict:
        page = max(1, int(query.get("page", "1") or 1))
        items = self._filtered("flea", query.get("keyword", ""))
        chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
        return {"items": [{"id": x.item_id, "name": x.title, "price": x.price} for x in chunk],
                "nextPage": page + 1 if page * PER_PAGE < len(items) else None}

    # --- transport -------------------------------------------------------------------------------
    def _fault(self, kind: str, path: str) -> None:
        """The hostile marketplace: each kind of trouble a real site can give."""
        if kind == "members-only":  # a section for signed-in members: others get the sign-in page
            return self._send(403, "text/html; charset=utf-8", _page("ログイン / Sign in", "<h1>ログインしてください</h1>"
                              "<p>This page is for signed-in members. Please sign in.</p>").encode())
        if kind == "hang":
            self.server.stopping.wait(300)
            return self._send(200, "text/html; charset=utf-8", b"<html><body>too late</body></html>")
        if kind == "broken":
            return self._html("<html><head><title>x</title></head><body><div class=\"Product")
        if kind == "429-once":
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if kind == "captcha":
            return self._send(403, "text/html; charset=utf-8", _page("Security check", "<h1>Are you a robot?</h1>"
                              '<div class="g-recaptcha"></div><p>Please complete the captcha.</p>').encode())
        if kind == "denied-503":  # a bot wall that answers 503 rather than 403
            return self._send(503, "text/html; charset=utf-8", _page("Access Denied", "<h1>Access denied</h1>"
                              "<p>Unusual traffic from your network.</p>").encode())
        if kind == "redirect-loop":
            self.send_response(302)
            n = int((parse_qs(urlsplit(self.path).query).get("r") or ["0"])[0])
            self.send_header("Location", f"{path}?r={n + 1}")  # the same page again, for ever
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if kind == "drip":  # a byte at a time: every read is quick, the page never ends
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(600):
                if self.server.stopping.wait(0.2):
                    break
                self.wfile.write(b" ")
                self.wfile.flush()
            return None
        if kind == "reset":  # close the connection without a word
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        if kind == "huge":  # 50 MB
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            block = b"<p>" + b"x" * 1020 + b"</p>"
            for _ in range(50_000_000 // len(block)):
                self.wfile.write(block)
            return None
        if kind in ("sjis", "eucjp-undeclared"):
            item = self.server.catalog.get("auction", path.rsplit("/", 1)[1])
            html = _auction_item(item) if item else "<html></html>"
            if kind == "sjis":
                return self._send(200, "text/html; charset=Shift_JIS", html.replace('charset="utf-8"', 'charset="Shift_JIS"')
                                  .encode("shift_jis", errors="replace"))
            return self._send(200, "text/html", html.replace('<meta charset="utf-8">', "").encode("euc_jp", errors="replace"))
        if kind == "removed":  # the venue's own "deleted" page, answered 200 like Yahoo!フリマ's
            return self._html(_page("削除された商品", '<main class="Removed"><h1>この商品は削除されました</h1>'
                                    "<p>This listing was removed.</p></main>"))
        if kind == "botwall":  # a bot wall answered 200, as eBay's "Pardon Our Interruption" is
            return self._html(_page("Pardon Our Interruption...", "<h1>Pardon Our Interruption...</h1>"
                                    "<p>Checking your browser before you access Demo Auctions.</p>"))
        if kind == "age-gate":  # an age confirmation; the venue's documented cookie lets an adult through
            return self._html(_page("年齢確認", '<main class="AgeGate"><h1>年齢確認</h1><p>あなたは18歳以上ですか？</p>'
                                    f'<p>Set the cookie {"=".join(AGE_COOKIE)} to confirm.</p></main>'))
        if kind in ("skeleton", "skeleton-js"):  # result cells not drawn yet; -js draws them in the browser
            cells = "".join('<li class="Skeleton"><div class="Skeleton__pulse"></div></li>' for _ in range(8))
            script = ""
            if kind == "skeleton-js":
                full = self._auction_search({k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()})
                drawn = json.dumps(full.split("</header>", 1)[1].rsplit("</body>", 1)[0])
                script = f"<script>document.querySelector('.Skeletons').outerHTML = {drawn};</script>"
            return self._html(_page("検索結果", f'<ul class="Skeletons">{cells}</ul>{script}'))
        if kind == "spin":  # the renderer stuck in a script that never ends
            return self._html(_page("Demo Flea", '<div id="app"></div>', "<script>for (;;) {}</script>"))
        if kind == "endless":  # a next link forever, and no items
            page = int((parse_qs(urlsplit(self.path).query).get("p") or ["1"])[0])
            return self._html(_page("検索結果", f'<ul class="Products__items"></ul>'
                                    f'<a class="Pager__link" rel="next" href="{path}?p={page + 1}">次へ</a>'))
        status = int(kind)
        return self._send(status, "text/html; charset=utf-8", f"<html><body>error {status}</body></html>".encode())

    def _not_found(self) -> None:
        self._send(404, "text/html; charset=utf-8", _page("Not found", "<p>ページが見つかりません</p>").encode())

    def _html(self, body: str, validate: bool = False) -> None:
        """A page; with `validate`, with an ETag, and a 304 without the body when the client's still holds."""
        if getattr(self, "redesigned", False):
            body = body.replace('class="', 'class="v2-').replace("data-", "data-v2-")
        data = body.encode("utf-8")
        if not validate:
            return self._send(200, "text/html; charset=utf-8", data)
        etag = f'"{hashlib.sha256(data).hexdigest()[:20]}"'
        if self.headers.get("If-None-Match") == etag:
            self.server.not_modified.append(self.path)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self._send(200, "text/html; charset=utf-8", data, {"ETag": etag})

    def _json(self, data: dict) -> None:
        self._send(200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


MARK_TEXT = {"adult": "R-18", "ai_generated": "AI生成", "shop": "ショップ", "auction": "オークション"}


def _auction_item(x: DemoListing) -> str:
    status_label = STATUS_LABELS[x.status]
    images = "".join(f'<img src="{escape(u)}" alt="">' for u in x.photos)
    tags = "".join(f"<li>{escape(t)}</li>" for t in x.tags)
    marks = "".join(f'<li data-label="{escape(m)}">{MARK_TEXT[m]}</li>' for m in x.labels)
    buy_now = (f'<dt>即決</dt><dd class="Price__buynow" data-price="{x.buy_now}">{_yen(x.buy_now)}（税込）</dd>'
               if x.buy_now else "")
    body = (
        f'<main class="ProductDetail" data-item-id="{escape(x.item_id)}">'
        f'<h1 class="ProductTitle__text">{escape(x.title)}</h1><ul class="Badges">{marks}</ul>'
        f'<span class="Status" data-status="{x.status}">{status_label}</span>'
        f'<div class="ProductImage">{images}</div>'
        f'<dl class="Price"><dt>現在</dt><dd class="Price__value" data-price="{x.price}">{_yen(x.price)}（税込）</dd>{buy_now}</dl>'
        f'<dl><dt>入札</dt><dd class="Count__bids">{x.bids}</dd>'
        f'<dt>終了日時</dt><dd><time class="EndTime" datetime="{x.end_time.isoformat()}">{x.end_time:%m月%d日 %H時%M分}</time></dd></dl>'
        f'<div class="Seller"><a class="Seller__name" data-seller-id="{escape(x.seller.id)}" '
        f'href="/auction/seller/{escape(x.seller.id)}">{escape(x.seller.name)}</a></div>'
        f'<ul class="Category"><li>{escape(x.category)}</li></ul><ul class="Tags">{tags}</ul>'
        f'<div class="ProductExplanation__commentBody">{escape(x.description)}</div></main>'
    )
    return _page(x.title, body)


def _flea_item(x: DemoListing) -> dict:
    return {"id": x.item_id, "name": x.title, "price": x.price, "status": "sold" if x.status != "active" else "on_sale",
            "seller": {"id": x.seller.id, "name": x.seller.name}, "category": x.category, "tags": list(x.tags),
            "labels": [{"value": m, "text": MARK_TEXT[m]} for m in x.labels], "description": x.description, "photos": list(x.photos),
            "updated": x.end_time.isoformat()}
